"""Create (or bring up to date) the demo organisation, its logins and its history.

Idempotent: people, teams, calendars and policies are matched by name, history
events by their ids, so `make run` can call it on every start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from slawatch.definitions import services as definitions
from slawatch.definitions.models import LeadDefinition
from slawatch.demo import cast, history
from slawatch.economics.models import Rate, Spend
from slawatch.leads.events import DomainEvent
from slawatch.leads.models import Lead, LeadStatus, SlaPolicy
from slawatch.leads.services import apply_events
from slawatch.people.models import Calendar, CrmIdentity, Person, Team
from slawatch.quality.models import Commitment, DisputeOutcome, LeadFeedback, QualityDispute

ADMIN_USERNAME = "admin"
# Person.role -> the role group the quality app's data migration creates.
GROUP_FOR_ROLE = {"rep": "rep", "manager": "manager", "director": "manager",
                  "marketing": "marketing", "revops": "revops"}


@dataclass
class Login:
    username: str
    password: str
    role: str
    person: str


def slack_webhook_url(base_url: str, name: str) -> str:
    return f"{base_url.rstrip('/')}/demo/slack-sink/webhook/{name}"


@transaction.atomic
def ensure_org(base_url: str, hot_minutes: int) -> dict[str, Person]:
    calendars = {spec["name"]: Calendar.objects.update_or_create(
        name=spec["name"], defaults={k: v for k, v in spec.items() if k != "name"})[0]
        for spec in cast.CALENDARS}
    teams = {spec["name"]: Team.objects.update_or_create(
        name=spec["name"],
        defaults={"slack_webhook_url": slack_webhook_url(base_url, spec["webhook"])})[0]
        for spec in cast.TEAMS}
    people = {}
    for name, role, team, zone, slack_id, owner_id, _login in cast.PEOPLE:
        email = name.lower().replace(" ", ".") + "@demo.slawatch.example"
        person, _ = Person.objects.update_or_create(name=name, defaults={
            "role": role, "team": teams.get(team), "time_zone": zone, "slack_user_id": slack_id,
            "email": email, "is_active": True})
        if owner_id:
            CrmIdentity.objects.update_or_create(person=person, crm=cast.CRM,
                                                 defaults={"owner_id": owner_id})
        people[name] = person
    for spec in cast.TEAMS:
        team = teams[spec["name"]]
        team.manager, team.escalation_contact = (people[spec["manager"]],
                                                 people[spec["escalation_contact"]])
        team.save(update_fields=["manager", "escalation_contact"])
    for spec in cast.policies(hot_minutes):
        SlaPolicy.objects.update_or_create(
            heat=spec["heat"], team=teams.get(spec["team"]) if spec["team"] else None,
            defaults={"calendar": calendars[spec["calendar"]],
                      **{k: spec[k] for k in ("first_touch_minutes", "follow_up_touches",
                                              "follow_up_window_minutes", "steps")}})
    return people


def ensure_logins(people: dict[str, Person], password: str = cast.PASSWORD) -> list[Login]:
    """The superuser and one login per role. A password someone changed is reset to
    the demo one only when the account is created (never on a re-run)."""
    user_model = get_user_model()
    admin, created = user_model.objects.get_or_create(
        username=ADMIN_USERNAME, defaults={"is_staff": True, "is_superuser": True,
                                           "email": "admin@demo.slawatch.example"})
    if created:
        admin.set_password(password)
        admin.save()
    logins = [Login(ADMIN_USERNAME, password, "superuser", "-")]
    for name, role, *_rest, username in cast.PEOPLE:
        if not username:
            continue
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"is_staff": True, "email": people[name].email})
        if created:
            user.set_password(password)
            user.save()
        group = Group.objects.filter(name=GROUP_FOR_ROLE[role]).first()
        if group is not None:
            user.groups.add(group)
        Person.objects.filter(user=user).exclude(pk=people[name].pk).update(user=None)
        Person.objects.filter(pk=people[name].pk).update(user=user)
        logins.append(Login(username, password, role, name))
    return logins


def ensure_definition(days: int) -> LeadDefinition:
    """The demo's signed lead definition, active since before the history starts, so every
    historical and simulated lead takes its heat from the rules. Created once (by name),
    approved by the demo's sales manager and marketer, without notices (it is history)."""
    existing = LeadDefinition.objects.filter(name=cast.DEFINITION["name"]).first()
    if existing is not None:
        return existing
    signed_at = timezone.now() - timedelta(days=days + 1)
    admin = get_user_model().objects.get(username=ADMIN_USERNAME)
    definition = definitions.definition_create(by=admin, notify=False, **cast.DEFINITION)
    for name in cast.DEFINITION_SIGNERS:
        user = Person.objects.get(name=name).user
        definition = definitions.definition_approve(definition=definition, user=user,
                                                    now=signed_at, notify=False)
    return definition


def load_history(days: int, per_day: int) -> int:
    """Apply the generated history through apply_events; returns how many leads it holds."""
    leads = history.build(timezone.now(), days=days, per_day=per_day)
    events = [DomainEvent.parse(body) for lead in leads for body in lead.events]
    apply_events(events)
    people = {p.crm_ids.get(cast.CRM): p for p in Person.objects.prefetch_related(
        "crm_identities")}
    marketer = Person.objects.filter(role="marketing").first()
    for lead_history in leads:
        _feedback(lead_history, people.get(lead_history.owner), marketer)
    _commitments(people)
    _spend()
    return len(leads)


def _spend():
    """Spend per source for this month and the last (one source paid in EUR, with its
    rate), so the marketing economics have something to show."""
    this_month = timezone.localdate().replace(day=1)
    months = [(this_month - timedelta(days=1)).replace(day=1), this_month]
    for month in months:
        Rate.objects.get_or_create(month=month, currency="EUR", defaults={"rate": "1.08"})
        for n, source in enumerate(cast.SOURCES):
            currency = "EUR" if source == "partner_referral" else "USD"
            Spend.objects.get_or_create(month=month, source=source, campaign="",
                                        category="marketing",
                                        defaults={"amount": 1500 + 750 * n, "currency": currency})
        Spend.objects.get_or_create(month=month, source="demo_request", campaign="",
                                    category="sales", defaults={"amount": 4000, "currency": "USD"})


def _feedback(lead_history, rep, marketer):
    if lead_history.verdict is None or rep is None:
        return
    lead = Lead.objects.get(crm=cast.CRM, external_id=lead_history.external_id)
    feedback, created = LeadFeedback.objects.get_or_create(
        lead=lead, given_by=rep, defaults={"verdict": lead_history.verdict,
                                           "reason": lead_history.reason,
                                           "rating": lead_history.rating})
    if not created or lead_history.dispute is None:
        return
    # Written directly (not through dispute_file) so loading history sends no
    # notifications; the model still checks the lifecycle on save.
    dispute = QualityDispute(feedback=feedback, filed_by=marketer,
                             reason="The contact came from a qualified demo request.")
    dispute.save()
    if lead_history.dispute != DisputeOutcome.OPEN:
        manager = rep.team.manager if rep.team_id else None
        dispute.outcome, dispute.resolved_by = lead_history.dispute, manager
        dispute.resolved_at = timezone.now()
        dispute.resolution_comment = "Checked the call notes with the rep."
        dispute.save()


def _commitments(people):
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    for person in people.values():
        if person is not None and person.role == "rep":
            Commitment.objects.get_or_create(rep=person, year=today.year, quarter=quarter,
                                             defaults={"leads_committed": 40})


def close_stale_simulated(older_than_minutes: int = 15) -> int:
    """Disqualify simulated leads a previous `make run` left open (its simulator was
    stopped before their scripted end), so their repeats do not ring forever."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    stale = Lead.objects.filter(crm=cast.CRM, external_id__startswith="SIM-",
                                status=LeadStatus.OPEN, created_at__lt=cutoff)
    events = [DomainEvent.parse({
        "event_id": f"{lead.external_id}-demo-cleanup", "type": "lead.disqualified",
        "occurred_at": timezone.now().isoformat(), "crm": cast.CRM,
        "lead": {"external_id": lead.external_id}}) for lead in stale]
    apply_events(events)
    return len(events)
