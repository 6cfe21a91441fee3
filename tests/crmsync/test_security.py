"""The CRM admin pages as an insider would try them (docs/SECURITY.md): each action declares
the permissions of what it really does."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from slawatch.crmsync.models import CrmOwner, CrmWrite
from slawatch.people.models import Person
from tests.quality import world

pytestmark = pytest.mark.django_db
OWNERS = "/admin/crmsync/crmowner/"


@pytest.fixture
def unmatched(db):
    return CrmOwner.objects.create(crm="hubspot", owner_id="902", email="nina.new@example.com",
                                   name="Nina New", state="unmatched", seen_at=timezone.now())


def _staff_with(django_user_model, *perms):
    user = django_user_model.objects.create_user("owners", "owners@example.com", "pw-o-1",
                                                 is_staff=True)
    group = Group.objects.create(name="crm owners")
    for dotted in perms:
        app, codename = dotted.split(".")
        group.permissions.add(Permission.objects.get(content_type__app_label=app,
                                                     codename=codename))
    user.groups.add(group)
    return user


def _create(client, owner):
    return client.post(OWNERS, {"action": "create_person", "_selected_action": [owner.pk]},
                       follow=True)


def test_create_person_needs_the_right_to_add_people(client, unmatched, django_user_model):
    """Changing the CRM owners list is not configuring people: without people.add_person
    the action is not offered and creates nobody."""
    user = _staff_with(django_user_model, "crmsync.view_crmowner", "crmsync.change_crmowner")
    client.force_login(user)
    page = client.get(OWNERS)
    assert page.status_code == 200 and 'value="create_person"' not in page.content.decode()
    _create(client, unmatched)
    assert not Person.objects.filter(email="nina.new@example.com").exists()
    unmatched.refresh_from_db()
    assert unmatched.state == "unmatched"


def test_create_person_works_for_who_may_add_people_and_crm_ids(client, unmatched,
                                                                 django_user_model):
    user = _staff_with(django_user_model, "crmsync.view_crmowner", "crmsync.change_crmowner",
                       "people.add_person", "people.change_person", "people.add_crmidentity")
    client.force_login(user)
    assert 'value="create_person"' in client.get(OWNERS).content.decode()
    _create(client, unmatched)
    assert Person.objects.get(email="nina.new@example.com").crm_ids == {"hubspot": "902"}


def test_the_roles_do_not_read_crm_writes_or_owners(cast, django_user_model, client):
    """Writes name leads and their owners company-wide: no role reads them unscoped."""
    org = world.make_org(cast, django_user_model)
    world.policy()
    lead = world.assign("L-1", "rep-7")
    CrmWrite.objects.create(lead=lead, crm="acme", external_id="L-1", kind="owner",
                            values={"owner": "rep-7"})
    for user in (org.rep_user, org.manager_user, org.marketer_user, org.revops_user):
        client.force_login(user)
        assert client.get("/admin/crmsync/crmwrite/").status_code == 403, user
        assert client.get(OWNERS).status_code == 403, user


def test_create_person_for_an_owner_id_taken_since_the_sync_says_so_and_creates_no_one(
        cast, client, unmatched, django_user_model):
    """Between the sync and the click someone was given that owner id: the action reports
    it for that owner (no 500), creates nobody for it, and still serves the others."""
    from slawatch.people.models import CrmIdentity

    CrmIdentity.objects.create(person=cast.manager, crm="hubspot", owner_id="902")
    other = CrmOwner.objects.create(crm="hubspot", owner_id="903", email="olga@example.com",
                                    name="Olga Other", state="unmatched", seen_at=timezone.now())
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-r-1")
    client.force_login(root)
    response = client.post(OWNERS, {"action": "create_person",
                                    "_selected_action": [unmatched.pk, other.pk]}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nina New" in page and "902" in page  # the refusal names the owner
    assert not Person.objects.filter(email="nina.new@example.com").exists()
    assert Person.objects.get(email="olga@example.com").crm_ids == {"hubspot": "903"}
    unmatched.refresh_from_db()
    assert unmatched.state == "unmatched"
