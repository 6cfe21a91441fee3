"""A two-team org with users for every role, and helpers to put leads in front of reps.

Shared by tests/quality, tests/admin and tests/browser.
"""

from types import SimpleNamespace

from rest_framework.test import APIClient

from slawatch.leads.models import Lead
from slawatch.leads.services import apply_events
from slawatch.people.models import Role
from slawatch.quality.models import LeadFeedback
from tests.factories import PersonFactory, PolicyFactory, TeamFactory, event

PASSWORD = "pw-for-tests-1"


def user_for(person, django_user_model, username):
    user = django_user_model.objects.create_user(username, f"{username}@example.com", PASSWORD)
    person.user = user
    person.save()  # the role signal puts the user in the role's group
    return user


def make_org(cast, django_user_model):
    west = TeamFactory(name="West")
    west_manager = PersonFactory(name="Will Westmanager", role=Role.MANAGER, team=west)
    west.manager = west_manager
    west.save()
    west_rep = PersonFactory(name="Wendy Westrep", team=west, crm_ids={"acme": "rep-9"})
    revops = PersonFactory(name="Rex Revops", role=Role.REVOPS)
    org = SimpleNamespace(cast=cast, west=west, west_manager=west_manager, west_rep=west_rep,
                          revops=revops, **vars(cast))
    for name in ("rep", "rep2", "manager", "marketer", "west_manager", "west_rep", "revops"):
        setattr(org, f"{name}_user", user_for(getattr(org, name), django_user_model, name))
    org.root = django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    return org


def assign(external_id, owner, at="2026-11-23T09:00:00Z", heat="hot", **lead):
    """A lead handed to the rep with CRM id `owner` (a hot policy must exist)."""
    apply_events([event(f"assign-{external_id}-{owner}-{at}", "lead.assigned", at,
                        external_id=external_id, owner=owner, heat=heat,
                        name=lead.pop("name", f"Lead {external_id}"),
                        email=lead.pop("email", f"{external_id.lower()}@example.com"), **lead)])
    return Lead.objects.get(crm="acme", external_id=external_id)


def policy():
    return PolicyFactory(heat="hot", first_touch_minutes=15)


def rejection(lead, rep, reason="no_budget", comment=""):
    return LeadFeedback.objects.create(lead=lead, given_by=rep, verdict="rejected",
                                       reason=reason, comment=comment)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client
