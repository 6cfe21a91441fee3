"""Who sees which rows: the one scoping rule, used by the admin, the REST API and the reports.

Permissions (roles.py) say what a user may do with a model; these selectors say
which rows. A rep sees the leads they own or held and their own handoffs; a
manager sees the teams they manage or belong to; marketing, RevOps and superusers
see everything. A signed-in user with no role and no person sees nothing, and neither
does one whose person is deactivated (superusers aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.db.models import Exists, OuterRef, Q, QuerySet

from slawatch.access import roles
from slawatch.leads.models import Handoff, Lead, SlaPolicy
from slawatch.people.models import Person, Team
from slawatch.quality.models import Commitment, LeadFeedback, QualityDispute

EVERYTHING = "all"


@dataclass(frozen=True)
class Scope:
    role: str | None            # "all", rep, manager, or None (nothing)
    person: Person | None
    team_ids: tuple[int, ...] = ()
    groups: frozenset[str] = frozenset()  # the user's group names, read once with the scope


def scope_of(user) -> Scope:
    """The user's scope, computed once per request (cached on the user object)."""
    cached = getattr(user, "_slawatch_scope", None)
    if cached is None:
        cached = _compute_scope(user)
        if user is not None:
            user._slawatch_scope = cached
    return cached


def _compute_scope(user) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope(None, None)
    person = Person.objects.filter(user=user).select_related("team").first()
    groups = frozenset(user.groups.values_list("name", flat=True))
    if person is not None and not person.is_active and not user.is_superuser:
        # A deactivated person sees nothing, whatever their Django login still allows.
        return Scope(None, person, groups=groups)
    if user.is_superuser or groups & {roles.MARKETING, roles.REVOPS}:
        return Scope(EVERYTHING, person, groups=groups)
    if roles.MANAGER in groups and person is not None:
        teams = Team.objects.filter(Q(manager=person) | Q(pk=person.team_id))
        return Scope(roles.MANAGER, person, tuple(teams.values_list("pk", flat=True)), groups)
    if roles.REP in groups and person is not None:
        return Scope(roles.REP, person, groups=groups)
    return Scope(None, person, groups=groups)


def person_of(user) -> Person | None:
    return scope_of(user).person


def gives_feedback(user) -> bool:
    """Whether the user gives verdicts on leads (a rep: a person and the add permission);
    the lead page, the home page's one click and feedback/ all ask this."""
    return person_of(user) is not None and user.has_perm("quality.add_leadfeedback")


def actor_name(user) -> str:
    """Who did it, for audit fields: the user's person's name, else the username."""
    return getattr(person_of(user), "name", "") or user.get_username()


def sees_everything(user) -> bool:
    return scope_of(user).role == EVERYTHING


def leads_for(user, qs: QuerySet | None = None) -> QuerySet:
    qs = Lead.objects.all() if qs is None else qs
    scope = scope_of(user)
    if scope.role == EVERYTHING:
        return qs
    if scope.role == roles.REP:
        held = Handoff.objects.filter(lead=OuterRef("pk"), rep=scope.person)
        return qs.filter(Q(owner=scope.person) | Exists(held))
    if scope.role == roles.MANAGER:
        held = Handoff.objects.filter(lead=OuterRef("pk"), team_id__in=scope.team_ids)
        return qs.filter(Q(owner__team_id__in=scope.team_ids) | Exists(held))
    return qs.none()


def handoffs_for(user, qs: QuerySet | None = None) -> QuerySet:
    qs = Handoff.objects.all() if qs is None else qs
    scope = scope_of(user)
    if scope.role == EVERYTHING:
        return qs
    if scope.role == roles.REP:
        return qs.filter(rep=scope.person)
    if scope.role == roles.MANAGER:
        return qs.filter(Q(team_id__in=scope.team_ids) | Q(rep__team_id__in=scope.team_ids))
    return qs.none()


def feedback_for(user, qs: QuerySet | None = None) -> QuerySet:
    """Feedback on the leads the user sees (a rep: only their own verdicts)."""
    qs = LeadFeedback.objects.all() if qs is None else qs
    scope = scope_of(user)
    if scope.role == EVERYTHING:
        return qs
    if scope.role == roles.REP:
        return qs.filter(given_by=scope.person)
    return qs.filter(lead__in=leads_for(user).values("pk"))


def disputes_for(user, qs: QuerySet | None = None) -> QuerySet:
    qs = QualityDispute.objects.all() if qs is None else qs
    if sees_everything(user):
        return qs
    return qs.filter(feedback__in=feedback_for(user).values("pk"))


def people_for(user, qs: QuerySet | None = None) -> QuerySet:
    """People a user may pick (e.g. a rep to reassign to): a manager's own teams."""
    qs = Person.objects.all() if qs is None else qs
    scope = scope_of(user)
    if scope.role == EVERYTHING:
        return qs
    if scope.role == roles.MANAGER:
        return qs.filter(team_id__in=scope.team_ids)
    if scope.role == roles.REP:
        return qs.filter(pk=scope.person.pk)
    return qs.none()


def policies_for(user, qs: QuerySet | None = None) -> QuerySet:
    """SLA policies a user may read where a page shows one without the view permission
    (the what-if page): the defaults and a manager's own teams'; everything for who sees
    everything."""
    qs = SlaPolicy.objects.all() if qs is None else qs
    scope = scope_of(user)
    if scope.role == EVERYTHING:
        return qs
    if scope.role == roles.MANAGER:
        return qs.filter(Q(team__isnull=True) | Q(team_id__in=scope.team_ids))
    return qs.filter(team__isnull=True)


def lead_rows_for(user, qs: QuerySet) -> QuerySet:
    """Rows hanging off a lead (touches, opportunities, lead events): those of leads the
    user sees. Lead events carry the CRM payload (e-mail, phone), so this matters."""
    if sees_everything(user):
        return qs
    return qs.filter(lead__in=leads_for(user).values("pk"))


def commitments_for(user, qs: QuerySet | None = None) -> QuerySet:
    qs = Commitment.objects.all() if qs is None else qs
    condition = commitment_scope(user)
    return qs if condition is None else qs.filter(condition)


def slack_actions_for(user, qs: QuerySet | None = None) -> QuerySet:
    """Recorded Slack clicks on handoffs the user sees."""
    # Not at the top: escalation imports access (services, admin); access importing
    # escalation when loaded would make the two apps import each other.
    from slawatch.escalation.models import SlackAction

    qs = SlackAction.objects.all() if qs is None else qs
    if sees_everything(user):
        return qs
    return qs.filter(handoff__in=handoffs_for(user).values("pk"))


def escalations_for(user, qs: QuerySet | None = None) -> QuerySet:
    """Outbox rows about handoffs the user sees, or addressed to people the user sees."""
    from slawatch.escalation.models import Escalation  # not at the top: see slack_actions_for

    qs = Escalation.objects.all() if qs is None else qs
    if sees_everything(user):
        return qs
    return qs.filter(Q(handoff__in=handoffs_for(user).values("pk"))
                     | Q(recipient_person__in=people_for(user).values("pk")))


def handoff_scope(user):
    """For the report selectors: None (everything) or a function narrowing a Handoff queryset."""
    if sees_everything(user):
        return None
    return partial(handoffs_for, user)


def commitment_scope(user):
    """For the report selectors: None (everything) or a Q on Commitment rows the user sees."""
    scope = scope_of(user)
    if scope.role == EVERYTHING:
        return None
    if scope.role == roles.REP:
        return Q(rep=scope.person)
    if scope.role == roles.MANAGER:
        return Q(team_id__in=scope.team_ids) | Q(rep__team_id__in=scope.team_ids)
    return Q(pk__in=[])
