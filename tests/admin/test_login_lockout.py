"""Brute force on the admin login: locked after at most 10 consecutive failures (django-axes)."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.utils import timezone

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "the-right-password-1"


@pytest.fixture
def staff(db, django_user_model):
    return django_user_model.objects.create_user("maya", password=PASSWORD, is_staff=True)


def _try(client, password, address="127.0.0.1"):
    return client.post(LOGIN, {"username": "maya", "password": password}, REMOTE_ADDR=address)


def _signed_in(response):
    return response.status_code == 302 and response.url == "/admin/"


def test_ten_wrong_passwords_lock_the_user_even_for_the_right_one(client, staff):
    for _ in range(9):
        assert _try(client, "guess").status_code == 200  # the form again, with its error
    assert _try(client, "guess").status_code == 429  # the 10th failure locks
    response = _try(client, PASSWORD)
    assert not _signed_in(response)
    assert response.status_code == 429 and b"locked" in response.content.lower()
    # Per user name, not per address: moving to another address does not help.
    assert not _signed_in(_try(client, PASSWORD, address="10.9.8.7"))


def test_nine_failures_then_success_resets_the_count(client, staff):
    for _ in range(9):
        _try(client, "guess")
    assert _signed_in(_try(client, PASSWORD))
    client.logout()
    for _ in range(9):
        _try(client, "guess")
    assert _signed_in(_try(client, PASSWORD))  # consecutive failures only


def test_the_lock_lifts_after_the_cool_off_or_when_an_admin_removes_it(client, staff):
    for _ in range(10):
        _try(client, "guess")
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert _signed_in(_try(client, PASSWORD))
    client.logout()
    for _ in range(10):
        _try(client, "guess")
    assert not _signed_in(_try(client, PASSWORD))
    AccessAttempt.objects.filter(username="maya").delete()  # what the admin's delete does
    assert _signed_in(_try(client, PASSWORD))
