"""REST API throttles: per signed-in user and per address without credentials."""

from django.core.cache import cache
from rest_framework.test import APIClient

API = "/api/v1"


def test_a_user_over_the_rate_gets_429_with_retry_after(db, django_user_model, settings):
    settings.SLAWATCH_API_THROTTLE_USER = "3/minute"
    cache.clear()
    user = django_user_model.objects.create_user("busy", password="pw")
    client = APIClient()
    client.force_authenticate(user)
    assert [client.get(f"{API}/handoffs/").status_code for _ in range(3)] == [200] * 3
    response = client.get(f"{API}/handoffs/")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    other = APIClient()
    other.force_authenticate(django_user_model.objects.create_user("calm", password="pw"))
    assert other.get(f"{API}/handoffs/").status_code == 200  # per user


def test_requests_without_credentials_are_throttled_by_address(db, settings):
    """The schema is the one API page open to everybody, and costly to build."""
    settings.SLAWATCH_API_THROTTLE_ANON = "2/minute"
    cache.clear()
    client = APIClient()
    codes = [client.get(f"{API}/schema/", REMOTE_ADDR="198.51.100.7").status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.get(f"{API}/schema/", REMOTE_ADDR="198.51.100.8").status_code == 200
