"""Who a ladder step names: rep, manager, escalation contact or the team's Slack channel."""

from __future__ import annotations

from dataclasses import dataclass

from slawatch.escalation.models import (
    Channel,
    nobody_recipient,
    person_recipient,
    team_recipient,
)
from slawatch.leads.models import Handoff


@dataclass(frozen=True)
class Target:
    recipient: str
    person: object = None
    team: object = None
    error: str = ""


def resolve(handoff: Handoff, notify: str, channel: str) -> Target:
    """A step's recipient, or a Target whose `error` says why nobody can be notified."""
    team = handoff.team_now()
    if notify == "team_channel":
        if channel != Channel.SLACK:
            return Target(nobody_recipient(notify),
                          error="team_channel steps can only use slack")
        if team is None:
            return Target(nobody_recipient(notify), error=f"{handoff.rep} has no team")
        return Target(team_recipient(team.pk), team=team)
    if notify == "rep":
        person = handoff.rep
    elif team is None:
        return Target(nobody_recipient(notify),
                      error=f"{handoff.rep} has no team, so no {notify}")
    else:
        person = team.manager if notify == "manager" else team.escalation_contact
    if person is None:
        label = notify.replace("_", " ")
        return Target(nobody_recipient(notify), team=team,
                      error=f"team {team.name} has no {label} to notify")
    return Target(person_recipient(person.pk), person=person, team=team)
