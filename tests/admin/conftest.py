import pytest

from tests.quality import world


@pytest.fixture
def org(cast, django_user_model):
    return world.make_org(cast, django_user_model)


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client
    return as_user
