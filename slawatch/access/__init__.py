"""Access control: the roles, which rows each user sees, and who may act on a handoff.

One home for the rules used by the admin, the REST API, the reports and the Slack
buttons (roles.py: what a role may do; scoping.py: which rows and which actions)."""
