import hashlib
import hmac
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import requests
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from slawatch.demo import cast, setup
from slawatch.demo.models import SlackSinkMessage
from slawatch.demo.simulator import Simulator, post, run
from slawatch.demo.views import step_label
from slawatch.economics.models import Spend
from slawatch.escalation.models import Escalation
from slawatch.ingest.models import CrmEvent
from slawatch.leads.events import DomainEvent
from slawatch.leads.models import Handoff, Lead, LeadEvent, SlaPolicy
from slawatch.leads.services import apply_events
from slawatch.people.models import Calendar, Person
from slawatch.quality.models import LeadFeedback, QualityDispute
from slawatch.reports import selectors
from tests.reports.builders import handoff

SECRET = "demo-test-events-secret"


def snapshot():
    return {model.__name__: model.objects.count() for model in
            (Lead, LeadEvent, Handoff, Person, Calendar, SlaPolicy, LeadFeedback,
             QualityDispute, get_user_model())}


@pytest.fixture
def demo_data(db, settings):
    settings.SLAWATCH_DEMO = True
    call_command("slawatch_demo_data", "--days", "8", "--per-day", "2", "--hot-minutes", "1",
                 stdout=open("/dev/null", "w"))


def test_demo_data_refuses_to_run_outside_demo_mode(db, settings):
    """It creates `admin` with a published password: never on a production database."""
    settings.SLAWATCH_DEMO = False
    with pytest.raises(CommandError, match="only in demo mode"):
        call_command("slawatch_demo_data", "--no-history", stdout=open("/dev/null", "w"))
    assert not get_user_model().objects.exists() and not Person.objects.exists()


def test_demo_data_is_idempotent(demo_data):
    first = snapshot()
    call_command("slawatch_demo_data", "--days", "8", "--per-day", "2", "--hot-minutes", "1",
                 stdout=open("/dev/null", "w"))
    assert snapshot() == first
    assert first["Lead"] >= 16 and first["LeadFeedback"] > 0


def test_demo_history_fills_reports_but_leaves_no_timer_due(demo_data):
    handoffs = Handoff.objects.all()
    assert not handoffs.filter(next_due_at__lte=timezone.now()).exists()
    statuses = Counter(handoffs.values_list("status", flat=True))
    assert statuses["met"] > 0 and statuses["breached"] > 0
    days = {h.handed_off_at.date() for h in handoffs}
    assert len(days) >= 4  # spread over the weeks, not one burst


def test_demo_org_has_three_heat_tiers_with_a_fast_24x7_hot_tier(demo_data):
    defaults = {p.heat: p for p in SlaPolicy.objects.filter(team__isnull=True)}
    assert set(defaults) == {"hot", "warm", "cold"}
    assert defaults["hot"].calendar.always_open and defaults["hot"].first_touch_minutes == 1
    assert defaults["warm"].calendar.hours and not defaults["warm"].calendar.always_open
    assert {s["notify"] for s in defaults["hot"].steps} >= {"rep", "manager"}
    for owner_id in cast.ALL_REPS:
        rep = Person.objects.get(crm_identities__crm=cast.CRM, crm_identities__owner_id=owner_id)
        assert rep.role == "rep" and rep.time_zone and rep.team is not None
    for manager in Person.objects.filter(role="manager"):
        assert manager.slack_user_id and manager.managed_teams.exists()


def _login(client, username):
    response = client.post("/admin/login/?next=/admin/",
                           {"username": username, "password": cast.PASSWORD})
    return response.status_code == 302 and response.url == "/admin/"


def test_demo_logins_work_and_carry_their_role(demo_data, client):
    assert _login(client, "admin")
    maya = get_user_model().objects.get(username="maya")
    assert maya.person.name == "Maya Chen"
    assert maya.groups.filter(name="manager").exists()
    assert _login(client, "mia")


def test_demo_pages_do_not_exist_outside_demo_mode(client, db, settings):
    settings.SLAWATCH_DEMO = False
    assert client.get("/demo/").status_code == 404
    response = client.post("/demo/slack-sink/chat.postMessage", {"channel": "U1", "text": "x"},
                           HTTP_AUTHORIZATION="Bearer xoxb-1")
    assert response.status_code == 404
    assert not SlackSinkMessage.objects.exists()


def test_slack_sdk_messages_land_in_the_local_sink(live_server, settings):
    settings.SLAWATCH_DEMO = True
    client = WebClient(token="xoxb-demo", base_url=f"{live_server.url}/demo/slack-sink/")
    response = client.chat_postMessage(channel="U0MAYA", text="SLA breached: Ana Ruiz",
                                       blocks=[{"type": "section",
                                                "text": {"type": "mrkdwn", "text": "*Ana*"}}])
    assert response["ok"] is True
    hook = WebhookClient(f"{live_server.url}/demo/slack-sink/webhook/north-america")
    answer = hook.send_dict({"text": "team channel: breach"})
    assert (answer.status_code, answer.body) == (200, "ok")
    stored = list(SlackSinkMessage.objects.order_by("id").values_list("method", "channel", "text"))
    assert stored == [("chat.postMessage", "U0MAYA", "SLA breached: Ana Ruiz"),
                      ("webhook", "#north-america", "team channel: breach")]

    listed = requests.get(f"{live_server.url}/demo/slack-sink/", timeout=5).json()["messages"]
    assert [m["text"] for m in listed] == ["team channel: breach", "SLA breached: Ana Ruiz"]
    with pytest.raises(SlackApiError, match="not_authed"):
        WebClient(token="", base_url=f"{live_server.url}/demo/slack-sink/").chat_postMessage(
            channel="U0MAYA", text="no token")


def test_demo_page_lists_live_escalations_and_slack_messages(client, settings, cast):
    settings.SLAWATCH_DEMO = True
    Escalation.objects.create(recipient=f"person:{cast.manager.pk}",
                              recipient_person=cast.manager, channel="slack", status="sent",
                              sent_at=timezone.now(), step=1)
    SlackSinkMessage.objects.create(method="chat.postMessage", channel="UMANAGER",
                                    text="Lead SLA breached: Ana Ruiz")
    handoff(cast.rep, status="breached")
    handoff(cast.rep, status="met")
    page = client.get("/demo/").content.decode()
    assert 'class="sent"' in page and "Maya Manager" in page
    assert "Lead SLA breached: Ana Ruiz" in page
    assert client.get("/demo/status.json").json() == {
        "escalations": 1, "escalations_sent": 1, "escalations_failed": 0, "slack_messages": 1,
        "open_handoffs": 2, "breached_open": 1}


def timeline(seconds, hot_sla=timedelta(minutes=1), seed=3):
    simulator = Simulator(rng=random.Random(seed), run_id="t", hot_sla=hot_sla,
                          lead_every=timedelta(seconds=5))
    start = datetime(2026, 11, 23, 9, tzinfo=UTC)
    return simulator, [(start + timedelta(seconds=s), e) for s in range(seconds)
                       for e in simulator.tick(start + timedelta(seconds=s))]


def test_simulator_mixes_prompt_late_reassigned_and_ignored_hot_leads():
    simulator, events = timeline(15 * 60)
    kinds = Counter(body["type"] for _, body in events)
    assert kinds["lead.created"] == simulator.leads >= 150
    assert kinds["lead.touched"] > 0 and kinds["lead.disqualified"] > 0
    assigned = Counter(body["lead"]["external_id"] for _, body in events
                       if body["type"] == "lead.assigned")
    assert max(assigned.values()) == 2  # some leads passed to a colleague
    handed = {body["lead"]["external_id"]: when for when, body in events
              if body["type"] == "lead.assigned" and body["lead"].get("heat") == "hot"}
    delays = [when - handed[body["lead"]["external_id"]] for when, body in events
              if body["type"] == "lead.touched" and body["lead"]["external_id"] in handed]
    assert any(d < timedelta(minutes=1) for d in delays)   # on time
    assert any(d > timedelta(minutes=1) for d in delays)   # late: breach first
    for when, body in events:  # valid generic format, handed out as soon as it is due
        parsed = DomainEvent.parse(body)
        assert when - timedelta(seconds=1) < parsed.occurred_at <= when
        assert parsed.crm == cast.CRM
        if "owner" in body["lead"]:
            assert body["lead"]["owner"] in cast.ALL_REPS


class FakeClock:
    """Simulated time for run(): sleeping advances it instantly."""

    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def run_simulator(url, secret, seconds=150):
    simulator = Simulator(rng=random.Random(5), run_id="live", hot_sla=timedelta(minutes=1),
                          lead_every=timedelta(seconds=20))
    clock, lines = FakeClock(timezone.now().timestamp()), []
    sent = run(base_url=url, secret=secret, simulator=simulator, duration=seconds, clock=clock,
               sleep=clock.sleep, out=lines.append)
    return simulator, sent, lines


def test_simulator_events_are_signed_and_accepted_by_the_generic_endpoint(live_server,
                                                                          settings):
    settings.SLAWATCH_EVENTS_SECRET = SECRET
    setup.ensure_org(live_server.url, hot_minutes=1)
    simulator, sent, lines = run_simulator(live_server.url, SECRET)
    assert sent > 0 and all("HTTP 200" in line or "HTTP 202" in line for line in lines), lines
    assert CrmEvent.objects.filter(source="generic").count() == sent
    leads = Lead.objects.filter(crm=cast.CRM)
    assert leads.count() == simulator.leads
    handoffs = Handoff.objects.filter(lead__crm=cast.CRM)
    assert handoffs.exists() and all(h.rep.crm_ids[cast.CRM] in cast.ALL_REPS for h in handoffs)


def test_simulator_with_the_wrong_secret_stores_nothing(live_server, settings):
    settings.SLAWATCH_EVENTS_SECRET = SECRET
    _simulator, sent, lines = run_simulator(live_server.url, "not-the-secret", seconds=30)
    assert sent == 0 and any("HTTP 401" in line for line in lines)
    assert not CrmEvent.objects.exists() and not Lead.objects.exists()


def test_simulator_signature_is_the_documented_hmac():
    captured = {}

    class Session:
        def post(self, url, data, headers, timeout):
            captured.update(url=url, data=data, headers=headers)
            return type("R", (), {"status_code": 200})()

    post(Session(), "http://127.0.0.1:1", SECRET, [{"event_id": "x"}], now=lambda: 1_700_000_000)
    expected = hmac.new(SECRET.encode(), b"1700000000." + captured["data"],
                        hashlib.sha256).hexdigest()
    assert captured["headers"]["X-Slawatch-Signature"] == f"t=1700000000,v1={expected}"
    assert captured["url"] == "http://127.0.0.1:1/webhooks/events/"


def test_a_restart_closes_simulated_leads_an_earlier_run_left_open(cast_free_org):
    earlier = timezone.now() - timedelta(hours=2)
    with time_machine.travel(earlier, tick=False):
        apply_events([DomainEvent.parse({
            "event_id": f"old-{kind}", "type": kind, "occurred_at": earlier.isoformat(),
            "crm": cast.CRM, "lead": {"external_id": "SIM-1-0001", "owner": "rep-101",
                                      "heat": "hot"}}) for kind in ("lead.created",
                                                                   "lead.assigned")])
        apply_events([DomainEvent.parse({
            "event_id": "fresh", "type": "lead.assigned", "occurred_at": earlier.isoformat(),
            "crm": cast.CRM, "lead": {"external_id": "H-20260101-000", "owner": "rep-101"}})])
    handoff = Handoff.objects.get(lead__external_id="SIM-1-0001")
    assert handoff.next_due_at is not None  # would keep paging the manager
    assert setup.close_stale_simulated() == 1
    handoff.refresh_from_db()
    assert handoff.lead.status == "disqualified" and handoff.next_due_at is None
    assert Lead.objects.get(external_id="H-20260101-000").status == "open"  # not ours to close
    assert setup.close_stale_simulated() == 0


@pytest.fixture
def cast_free_org(db):
    setup.ensure_org("http://127.0.0.1:8000", hot_minutes=1)


def test_demo_page_names_each_step_of_the_ladder(cast_free_org, client, settings):
    settings.SLAWATCH_DEMO = True
    apply_events([DomainEvent.parse({
        "event_id": "a", "type": "lead.assigned", "occurred_at": timezone.now().isoformat(),
        "crm": cast.CRM, "lead": {"external_id": "SIM-x-1", "owner": "rep-101", "heat": "hot"}})])
    handoff = Handoff.objects.get()
    labels = [step_label(Escalation(handoff=handoff, step=step, occurrence=occurrence))
              for step, occurrence in ((0, 0), (1, 2), (3, 0))]
    assert labels == ["warning at 50 %", "breach, repeat 2", "1 min after breach"]
    assert "1-minute first-touch SLA" in client.get("/demo/").content.decode()


def test_demo_has_spend_so_the_marketing_economics_show_figures(demo_data):
    count = Spend.objects.count()
    call_command("slawatch_demo_data", "--days", "8", "--per-day", "2", "--hot-minutes", "1",
                 stdout=open("/dev/null", "w"))
    assert Spend.objects.count() == count > 0  # idempotent
    now = timezone.now()
    rows = selectors.marketing_report(selectors.ReportWindow(
        start=now - timedelta(days=62), end=now, group_by="source"))
    assert any(r["spend"] not in (None, "0.00") and r["leads"] for r in rows)
    assert all(r["unconverted"] == 0 for r in rows)  # the EUR spend has its rate
