"""Role scoping for reports, on top of the shared rule in slawatch.quality.scoping:
a rep's reports cover their own handoffs, a manager's their teams', everyone else
with a role sees all; a signed-in user with no role sees empty reports."""

from functools import partial

from django.db.models import Q

from slawatch.quality import roles, scoping


def handoff_scope(user):
    """None (everything) or a function narrowing a Handoff queryset to the user's rows."""
    if scoping.sees_everything(user):
        return None
    return partial(scoping.handoffs_for, user)


def commitment_scope(user):
    """None (everything) or a Q on Commitment: a rep's own, a manager's teams and reps."""
    scope = scoping.scope_of(user)
    if scope.role == scoping.EVERYTHING:
        return None
    if scope.role == roles.REP:
        return Q(rep=scope.person)
    if scope.role == roles.MANAGER:
        return Q(team_id__in=scope.team_ids) | Q(rep__team_id__in=scope.team_ids)
    return Q(pk__in=[])
