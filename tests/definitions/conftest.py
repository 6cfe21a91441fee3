import pytest

from tests.quality import world

HOT_RULES = [
    {"heat": "cold", "when": [{"field": "email_domain", "op": "in",
                               "value": ["student.edu", "gmail.com"]}]},
    {"heat": "hot", "when": [{"field": "form", "op": "eq", "value": "demo_request"}]},
    {"heat": "hot", "when": [{"field": "score", "op": "gte", "value": 80}]},
]


@pytest.fixture
def org(cast, django_user_model):
    """The cast plus West, RevOps and a superuser, each person with a login."""
    return world.make_org(cast, django_user_model)


@pytest.fixture
def draft_body():
    return {"name": "Hot means a demo request", "default_heat": "warm", "crm_heat": "ignore",
            "rules": HOT_RULES}
