"""Who may act on a handoff, and how: the one rule behind the Slack buttons, the REST API
and the SLA board.

- the handoff's rep may acknowledge and snooze it;
- the manager and the escalation contact of the handoff's team, and RevOps (and
  superusers), may also reassign it;
- nobody else: not marketing, not another team's manager, not a rep of the same team,
  not an inactive person, not a Slack user slawatch does not know.

The actor is a Django user (admin, API) or a `Person` (a Slack click, resolved with
`person_for_slack_user`). Which *rows* a user sees is scoping.py's business; this module
answers "may this actor do this to this handoff". Where the move itself is allowed (an
active rep of the handoff's team) is the reassignment service's rule (leads/reassign.py).
"""

from __future__ import annotations

from slawatch.access import roles, scoping
from slawatch.people.models import Person, Role

ACKNOWLEDGE, SNOOZE, REASSIGN = "acknowledge", "snooze", "reassign"
ACTIONS = (ACKNOWLEDGE, SNOOZE, REASSIGN)
_REP_ACTIONS = frozenset({ACKNOWLEDGE, SNOOZE})
_ALL = frozenset(ACTIONS)

WHO_MAY = {
    ACKNOWLEDGE: "the handoff's rep, the team's manager or escalation contact, or RevOps",
    SNOOZE: "the handoff's rep, the team's manager or escalation contact, or RevOps",
    REASSIGN: "the team's manager or escalation contact, or RevOps",
}


def person_for_slack_user(slack_user_id: str) -> Person | None:
    """The one active person behind a Slack user id; None when unknown or ambiguous."""
    people = list(Person.objects.filter(slack_user_id=slack_user_id, is_active=True)
                  .select_related("user")[:2])
    return people[0] if len(people) == 1 else None


def allowed_actions(actor, handoff) -> frozenset[str]:
    """What `actor` (a user, a person, or None) may do to `handoff`."""
    if actor is None:
        return frozenset()
    if isinstance(actor, Person):
        return _for_person(actor, handoff)
    return _for_user(actor, handoff)


def may_acknowledge(actor, handoff) -> bool:
    return ACKNOWLEDGE in allowed_actions(actor, handoff)


def refusal(actor, handoff, action: str) -> str | None:
    """None when allowed; else a sentence saying why not, for Slack, the API or the board."""
    if action in allowed_actions(actor, handoff):
        return None
    return f"Only {WHO_MAY[action]} may {action} this handoff."


def may_act_on_some_handoff(user) -> bool:
    """Whether the user could act on any handoff at all (shows or hides action controls)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if _acts_on_everything(user):
        return True
    person = scoping.person_of(user)
    return person is not None and person.is_active and person.role != Role.MARKETING


def _acts_on_everything(user) -> bool:
    return user.is_superuser or roles.REVOPS in scoping.scope_of(user).groups


def _for_user(user, handoff) -> frozenset[str]:
    if not (user.is_authenticated and user.is_active):
        return frozenset()
    if _acts_on_everything(user):
        return _ALL
    person = scoping.person_of(user)
    return frozenset() if person is None else _for_person(person, handoff)


def _for_person(person: Person, handoff) -> frozenset[str]:
    if not person.is_active:
        return frozenset()
    if person.role == Role.REVOPS:
        return _ALL
    team = handoff.team_now()
    if team is not None and person.pk in (team.manager_id, team.escalation_contact_id):
        return _ALL
    if handoff.rep_id == person.pk:
        return _REP_ACTIONS
    return frozenset()
