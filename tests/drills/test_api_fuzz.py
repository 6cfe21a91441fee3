"""Drill: schemathesis against the REST API's own OpenAPI schema (/api/v1/schema/),
in-process over WSGI, as an authenticated superuser: valid and invalid requests for
every operation; whatever it generates, no answer is a 5xx. (bench/fuzz_bench.py runs
the long version over HTTP with the schemathesis CLI.)"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode

EXAMPLES = 4  # per operation and mode: CI-sized; the bench run uses hundreds


def fuzz(operation, mode, headers, failures, statuses):
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call(headers=headers)
        statuses.append(response.status_code)
        if response.status_code >= 500:
            failures.append((case.method, case.formatted_path, case.query, case.body,
                             response.status_code, response.text[:300]))
    run()


@pytest.fixture
def keep_test_connection():
    """Calling the WSGI app directly fires request_started/finished, which would close
    the test's database connection mid-transaction; Django's test client disconnects
    the same handler for the same reason."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def test_api_never_answers_5xx(db, django_user_model, cast, keep_test_connection):
    user = django_user_model.objects.create_superuser("fuzz", "fuzz@example.com", "pw")
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    failures, statuses, operations = [], [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, headers, failures, statuses)
    # The whole API was fuzzed (not an empty schema), and past authentication.
    assert operations > 20 and len(statuses) > 2 * operations
    # Past authentication: a 401/403-only run would have no 2xx at all. (How many of the
    # generated cases are valid enough for a 2xx varies with the schema, so no exact bar.)
    assert sum(200 <= s < 300 for s in statuses) >= operations // 2
    assert failures == []


def test_absurd_limit_is_clamped_not_a_server_error(admin_api, cast):
    """Found by the long fuzz run: ?limit= beyond a bigint was a 500 on PostgreSQL."""
    response = admin_api.get("/api/v1/teams/", {"limit": 2437870906117738477969098992437428224,
                                                "offset": -273018})
    assert response.status_code == 200
    assert [team["name"] for team in response.json()["results"]] == ["East"]


def test_nul_in_a_crm_name_is_a_400_not_a_server_error(admin_api, cast):
    """Found by the long fuzz run: a NUL in a crm_ids key was a 500 on PostgreSQL."""
    response = admin_api.patch(f"/api/v1/people/{cast.rep.pk}/",
                               {"crm_ids": {"acme\x00": "rep-7"}}, format="json")
    assert response.status_code == 400
    assert "NUL" in str(response.json())
