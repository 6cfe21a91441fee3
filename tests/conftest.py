import gc
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests import factories

OTHER_SESSIONS = ("SELECT pid FROM pg_stat_activity "
                  "WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.fixture(scope="session", autouse=True)
def _test_database_dropped_cleanly(django_db_setup, django_db_blocker):
    """PostgreSQL refuses to drop a database someone is still connected to, and pytest-django
    then only warns. A connection opened by a thread or child process that has ended (a
    live-server request, a sweeper sender, a killed worker) can outlive its owner until
    garbage collection or the server notices; give them ten seconds, then end what is left
    of them on this test database, which is dropped next anyway."""
    yield
    if connection.vendor != "postgresql":
        return
    gc.collect()  # closes connections of threads that have ended
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for _ in range(100):
            cursor.execute(OTHER_SESSIONS)
            if not cursor.fetchall():
                return
            time.sleep(0.1)
        cursor.execute(f"SELECT pg_terminate_backend(pid) FROM ({OTHER_SESSIONS}) AS others")


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
