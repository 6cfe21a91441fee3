import pytest
from rest_framework.test import APIClient

from tests import factories


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def admin_api(db, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def cast(db):
    """A small sales org: team East with a manager, a director and two reps."""
    return factories.make_cast()
