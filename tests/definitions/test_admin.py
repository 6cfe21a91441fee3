"""The definition page in the admin: the rules editor validates on save, the page shows the
diff against the active version and the 90-day preview, approve buttons follow the role,
a frozen definition cannot be edited, and the dispute page names the version."""

import json

import pytest
import time_machine
from django.test import Client

from slawatch.definitions import services
from slawatch.definitions.models import LeadDefinition
from slawatch.escalation.models import Escalation
from slawatch.quality.models import QualityDispute
from tests.definitions.conftest import HOT_RULES
from tests.factories import PolicyFactory, at
from tests.quality import world

pytestmark = pytest.mark.django_db
ADD = "/admin/definitions/leaddefinition/add/"


def _login(user):
    client = Client()
    client.force_login(user)
    return client


def _change(pk):
    return f"/admin/definitions/leaddefinition/{pk}/change/"


def _form(**overrides):
    return {"name": "Signed", "default_heat": "warm", "crm_heat": "ignore",
            "rules": json.dumps(HOT_RULES), "effective_from_0": "", "effective_from_1": "",
            "approvals-TOTAL_FORMS": "0", "approvals-INITIAL_FORMS": "0", **overrides}


def test_the_editor_refuses_bad_rules_naming_rule_and_field(org):
    bad = [HOT_RULES[0], {"heat": "hot", "when": [{"field": "score", "op": "gte",
                                                   "value": "high"}]}]
    response = _login(org.revops_user).post(ADD, _form(rules=json.dumps(bad)))
    assert response.status_code == 200  # the form again, with the error
    assert "rule 1 (field &#x27;score&#x27;): gte takes a number" in response.text
    assert not LeadDefinition.objects.exists() and not Escalation.objects.exists()
    response = _login(org.revops_user).post(ADD, _form(rules="[{not json"))
    assert "Enter a valid JSON" in response.text and not LeadDefinition.objects.exists()


def test_saving_a_draft_stores_it_and_asks_both_sides(org):
    response = _login(org.revops_user).post(ADD, _form())
    assert response.status_code == 302
    definition = LeadDefinition.objects.get()
    assert definition.rules == HOT_RULES and definition.status == "draft"
    assert definition.created_by == org.revops_user
    assert Escalation.objects.filter(kind="definition").count() == 5


def _page_with_leads(org):
    PolicyFactory(heat="hot", first_touch_minutes=15)
    with time_machine.travel(at("2026-11-20 09:00"), tick=False):
        world.assign("L-1", "rep-7", at="2026-11-20T09:00:00Z", heat="hot",
                     email="kid@student.edu")
        world.assign("L-2", "rep-7", at="2026-11-20T09:00:00Z", heat="hot", score=90)
    return services.definition_create(by=org.revops_user, name="draft", default_heat="warm",
                                      crm_heat="ignore", rules=HOT_RULES)


@time_machine.travel(at("2026-11-23 09:00"), tick=False)
def test_the_page_shows_preview_diff_and_the_buttons_each_role_may_use(org):
    draft = _page_with_leads(org)
    page = _login(org.manager_user).get(_change(draft.pk)).text
    assert 'id="definition-preview"' in page and "the 2 leads of the last 90 days" in page
    assert '<tr class="heat-hot"><td>hot</td><td class="was">2</td><td class="would">1</td>' \
        in page
    assert '<tr class="heat-cold"><td>cold</td><td class="was">0</td><td class="would">1</td>' \
        in page
    assert "Lead L-1" in page and "no active definition" in page  # sample and diff header
    assert 'value="Approve as sales"' in page and "activate-button" not in page
    assert 'value="Approve as marketing"' in _login(org.marketer_user).get(_change(draft.pk)).text
    root = _login(org.root).get(_change(draft.pk)).text
    assert "approve-button" not in root and "activate-button" in root  # no person, superuser


def test_approve_buttons_record_approvals_and_activate(org):
    draft = services.definition_create(by=org.revops_user, name="draft", default_heat="warm",
                                       crm_heat="ignore", rules=HOT_RULES)
    url = f"/admin/definitions/leaddefinition/{draft.pk}/approve/"
    assert _login(org.manager_user).get(url).status_code == 405
    _login(org.manager_user).post(url)
    page = _login(org.manager_user).get(_change(draft.pk)).text
    assert "approve-button" not in page and "Awaiting: <strong>marketing</strong>" in page
    _login(org.marketer_user).post(url)
    draft.refresh_from_db()
    assert (draft.status, draft.version) == ("active", 1)


def test_an_active_definition_is_read_only_in_the_admin(org):
    draft = services.definition_create(by=org.revops_user, name="draft", default_heat="warm",
                                       crm_heat="ignore", rules=HOT_RULES)
    services.definition_activate(definition=draft, user=org.root)
    client = _login(org.revops_user)
    page = client.get(_change(draft.pk)).text
    assert 'name="rules"' not in page and "This is the active definition." in page
    response = client.post(_change(draft.pk), _form(rules="[]", default_heat="cold"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.rules == HOT_RULES and draft.default_heat == "warm"


def test_the_dispute_page_shows_the_definition_version_the_lead_was_judged_under(org):
    PolicyFactory(heat="hot", first_touch_minutes=15)
    with time_machine.travel(at("2026-11-20 08:00"), tick=False):
        draft = services.definition_create(by=org.revops_user, name="v1", default_heat="warm",
                                           crm_heat="ignore", rules=HOT_RULES)
        services.definition_activate(definition=draft, user=org.root)
    with time_machine.travel(at("2026-11-20 09:00"), tick=False):
        lead = world.assign("L-9", "rep-7", at="2026-11-20T09:00:00Z", score=95)
    feedback = world.rejection(lead, org.rep)
    dispute = QualityDispute.objects.create(feedback=feedback, filed_by=org.marketer,
                                            reason="it was a demo request")
    page = _login(org.manager_user).get(f"/admin/quality/qualitydispute/{dispute.pk}/change/")
    assert "Heat judged under" in page.text
    assert "hot: lead definition version 1" in page.text
