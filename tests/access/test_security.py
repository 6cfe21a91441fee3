"""Sign-in with the identity provider as an insider would abuse it (docs/SECURITY.md): only
an e-mail the provider says it verified links a person, and only to that person's own
account; deactivated people stay out."""

import pytest

from slawatch.people.models import Role
from tests.access.test_oidc import _sign_in, provider  # noqa: F401 (the fixture)
from tests.factories import PersonFactory
from tests.quality import world

REFUSED = "/admin/login/?sso=refused"


@pytest.mark.parametrize("verified", [None, "false", "False", 0, ""])
def test_an_email_the_provider_did_not_verify_links_nobody(db, client, provider, verified):
    """The claim left out (None) or anything but true: many providers let a user type any
    e-mail into their profile, so an unverified one must not open a person's account."""
    rita = PersonFactory(name="Rita Rep", email="rita.rep@example.com", role=Role.REP)
    response = _sign_in(client, provider, "rita.rep@example.com", email_verified=verified)
    assert response.url == REFUSED
    assert "_auth_user_id" not in client.session
    rita.refresh_from_db()
    assert rita.user is None


def test_a_verified_email_given_as_the_string_true_signs_in(db, client, provider):
    PersonFactory(name="Rita Rep", email="rita.rep@example.com", role=Role.REP)
    response = _sign_in(client, provider, "rita.rep@example.com", email_verified="true")
    assert response.status_code == 302 and response.url == "/admin/"


def test_a_person_linked_to_someone_elses_account_does_not_sign_into_it(
        db, client, provider, django_user_model):
    """RevOps may set Person.user; pointing a person with their own e-mail at the
    superuser's account must not turn a company sign-in into a superuser session."""
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-1")
    PersonFactory(name="Rex Revops", email="rex@example.com", role=Role.REVOPS, user=root)
    response = _sign_in(client, provider, "rex@example.com")
    assert response.url == REFUSED
    assert "_auth_user_id" not in client.session


def test_a_person_deactivated_after_their_first_sign_in_is_refused(db, client, provider):
    rita = PersonFactory(name="Rita Rep", email="rita.rep@example.com", role=Role.REP)
    assert _sign_in(client, provider, "rita.rep@example.com").url == "/admin/"
    client.logout()
    rita.refresh_from_db()
    rita.is_active = False
    rita.save()
    assert _sign_in(client, provider, "rita.rep@example.com").url == REFUSED
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_a_deactivated_person_reads_nothing_while_their_login_stays_active(org, who):
    """Deactivating the person (they left, or moved out of sales) is what RevOps does in
    slawatch; the Django login may stay active (a password sign-in, an old session). The
    rows the person's role showed are then shown to nobody through that login."""
    world.policy()
    world.assign("L-1", "rep-7")
    user = getattr(org, f"{who}_user")
    assert len(world.api(user).get("/api/v1/handoffs/").json()["results"]) == 1
    person = getattr(org, who)
    person.is_active = False
    person.save()
    user = type(user).objects.get(pk=user.pk)  # a new request: the scope is read again
    assert user.is_active
    assert world.api(user).get("/api/v1/handoffs/").json()["results"] == []
    assert world.api(user).get("/api/v1/leads/").json()["results"] == []
