import pytest

from tests.quality import world


@pytest.fixture
def org(cast, django_user_model):
    return world.make_org(cast, django_user_model)
