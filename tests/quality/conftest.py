import pytest

from tests.quality import world


@pytest.fixture
def org(cast, django_user_model):
    """The cast plus a second team (West), RevOps, each person logged in as a user."""
    return world.make_org(cast, django_user_model)
