"""The four working roles as Django groups, and which permissions each holds.

Groups carry *what* a role may do (model permissions, used by the admin and the
API's DjangoModelPermissions); `scoping.py` decides *which rows* it sees. The
data migration creates the groups; `sync_groups` runs again after every migrate
so permissions of models added later reach the groups too.
"""

REP, MANAGER, MARKETING, REVOPS = "rep", "manager", "marketing", "revops"
ROLES = (REP, MANAGER, MARKETING, REVOPS)

# Person.role -> group; a director works like a manager (sees the teams they run).
GROUP_FOR_PERSON_ROLE = {"rep": REP, "manager": MANAGER, "director": MANAGER,
                         "marketing": MARKETING, "revops": REVOPS}

_READ_SALES = ["leads.view_lead", "leads.view_handoff", "leads.view_milestone",
               "leads.view_touch", "leads.view_opportunity"]
_CONFIG = [f"{app}.{action}_{model}" for app, model in
           [("people", "calendar"), ("people", "team"), ("people", "person"),
            ("people", "crmidentity"), ("leads", "slapolicy")]
           for action in ("view", "add", "change", "delete")]
# Marketing economics inputs: marketing and RevOps keep them, managers read them.
_ECONOMICS = [f"economics.{action}_{model}" for model in ("spend", "visits", "rate")
              for action in ("view", "add", "change", "delete")]
_ECONOMICS_READ = [name for name in _ECONOMICS if ".view_" in name]

# Everyone reads the lead definition; marketing and RevOps draft it (approving is by side).
_DEFINITIONS_READ = ["definitions.view_leaddefinition", "definitions.view_definitionapproval"]
_DEFINITIONS_DRAFT = _DEFINITIONS_READ + ["definitions.add_leaddefinition",
                                          "definitions.change_leaddefinition",
                                          "definitions.delete_leaddefinition"]

PERMISSIONS = {
    REP: _READ_SALES + _DEFINITIONS_READ + [
        "quality.view_mylead", "quality.view_leadfeedback", "quality.add_leadfeedback",
        "quality.change_leadfeedback", "quality.view_qualitydispute",
        "quality.view_disputecomment", "quality.add_disputecomment",
    ],
    MANAGER: _READ_SALES + _DEFINITIONS_READ + [
        "leads.view_leadevent", "people.view_person", "people.view_team",
        "escalation.view_escalation", "leads.view_slaboard",
        "quality.view_leadfeedback", "quality.view_qualitydispute",
        "quality.change_qualitydispute", "quality.resolve_qualitydispute",
        "quality.view_disputecomment", "quality.add_disputecomment",
        "quality.view_commitment",
    ] + _ECONOMICS_READ,
    MARKETING: _DEFINITIONS_DRAFT + _ECONOMICS + [
        "leads.view_lead", "leads.view_handoff", "leads.view_opportunity",
        "people.view_person", "people.view_team",
        "quality.view_leadfeedback", "quality.view_qualitydispute",
        "quality.add_qualitydispute", "quality.change_qualitydispute",
        "quality.view_disputecomment", "quality.add_disputecomment",
        "quality.view_commitment", "quality.add_commitment", "quality.change_commitment",
        "quality.delete_commitment",
    ],
    REVOPS: _READ_SALES + _CONFIG + _DEFINITIONS_DRAFT + _ECONOMICS + [
        "leads.view_leadevent", "escalation.view_escalation", "leads.view_slaboard",
        "escalation.change_escalation",  # the admin's "retry" action (rows stay read-only)
        "escalation.view_slackaction",
        "quality.view_leadfeedback", "quality.view_qualitydispute",
        "quality.change_qualitydispute", "quality.resolve_qualitydispute",
        "quality.view_disputecomment", "quality.add_disputecomment",
        "quality.view_commitment", "quality.add_commitment", "quality.change_commitment",
        "quality.delete_commitment",
    ],
}


def sync_groups(group_model, permission_model):
    """Create the role groups and give each exactly its permissions (idempotent).

    Takes the models as arguments so a migration can pass its historical ones.
    A permission whose model does not exist (yet) is skipped, not an error.
    """
    for role, names in PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = [_lookup(permission_model, name) for name in names]
        group.permissions.set([p for p in wanted if p is not None])


def _lookup(permission_model, dotted):
    app_label, codename = dotted.split(".")
    return permission_model.objects.filter(content_type__app_label=app_label,
                                           codename=codename).first()
