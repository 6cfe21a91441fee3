"""slawatch_sync_owners: CRM owners mapped to people by e-mail, conflicts left alone."""

import time_machine
from django.core.management import call_command

from slawatch.crmsync.models import CrmOwner
from slawatch.leads.models import Handoff
from slawatch.people.models import CrmIdentity, Person
from slawatch.leads.services import apply_events
from tests.factories import event


def _hs(owner_id, email, first="", last="", archived=False):
    return {"id": owner_id, "email": email, "firstName": first, "lastName": last,
            "userId": int(owner_id) + 1, "archived": archived,
            "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"}


@time_machine.travel("2026-11-23 09:05:00Z", tick=False)
def test_hubspot_owners_map_by_email_and_conflicts_are_left_alone(
        org, hubspot, capsys, django_capture_on_commit_callbacks):
    # A lead waiting on an owner nobody has yet.
    apply_events([event("wait-777", "lead.assigned", "2026-11-23T09:00:00Z", crm="hubspot",
                        external_id="777", owner="901", heat="hot")])
    assert not Handoff.objects.filter(lead__external_id="777").exists()
    hubspot.users = [
        _hs("81234567", "RITA.REP@example.com", "Rita", "Rep"),        # already hers
        _hs("900", "ravi.rep@EXAMPLE.com", "Ravi", "Rep"),             # Ravi has another id
        _hs("901", "Maya.Manager@example.com", "Maya", "Manager"),     # new: mapped
        _hs("902", "nina.new@example.com", "Nina", "New"),             # no such person
        _hs("81234568", "dan.director@example.com", "Dan", "D"),       # Ravi's id: not moved
    ]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("slawatch_sync_owners", "--crm", "hubspot")
    assert capsys.readouterr().out.strip() == \
        "sync owners: hubspot: 1 mapped, 1 already, 1 unmatched, 2 conflict"
    assert org.manager.crm_ids["hubspot"] == "901"
    assert org.rep2.crm_ids["hubspot"] == "81234568"          # untouched
    assert "hubspot" not in org.director.crm_ids               # nothing taken from Ravi
    states = dict(CrmOwner.objects.values_list("owner_id", "state"))
    assert states == {"81234567": "mapped", "900": "conflict", "901": "mapped",
                      "902": "unmatched", "81234568": "conflict"}
    assert "Ravi Rep" in CrmOwner.objects.get(owner_id="81234568").note
    # The waiting lead got its clock through the one mapping service.
    assert Handoff.objects.get(lead__external_id="777").rep == org.manager
    assert sum(1 for r in hubspot.requests if r["path"] == "/crm/v3/owners") == 3  # paged


def test_unmatched_owner_becomes_a_person_with_one_click(org, hubspot, client):
    hubspot.users = [_hs("902", "nina.new@example.com", "Nina", "New")]
    call_command("slawatch_sync_owners", "--crm", "hubspot")
    owner = CrmOwner.objects.get(owner_id="902")
    client.force_login(org.root)
    page = client.get("/admin/crmsync/crmowner/?state__exact=unmatched").content.decode()
    assert "nina.new@example.com" in page
    client.post("/admin/crmsync/crmowner/", {"action": "create_person",
                                             "_selected_action": [owner.pk]})
    person = Person.objects.get(email="nina.new@example.com")
    assert (person.name, person.role, person.crm_ids) == ("Nina New", "rep", {"hubspot": "902"})
    assert CrmOwner.objects.get(pk=owner.pk).state == "mapped"


def test_salesforce_and_pipedrive_users_map_by_email(org, salesforce, pipedrive, capsys):
    CrmIdentity.objects.filter(person=org.manager).delete()
    salesforce.users = [{"Id": "005MAYA", "Email": "maya.manager@example.com",
                         "Name": "Maya Manager"}]
    pipedrive.users = [{"id": 8001, "name": "Maya Manager", "email": "MAYA.manager@example.com",
                        "active_flag": True},
                       {"id": 8002, "name": "Gone", "email": "dan.director@example.com",
                        "active_flag": False}]
    call_command("slawatch_sync_owners")
    assert org.manager.crm_ids == {"salesforce": "005MAYA", "pipedrive": "8001"}
    assert "pipedrive" not in org.director.crm_ids  # inactive users are not synced
    out = capsys.readouterr().out
    assert "salesforce: 1 mapped" in out and "pipedrive: 1 mapped" in out
