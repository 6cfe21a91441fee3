"""Token and session auth, permissions, the OpenAPI schema and the Swagger UI from local static."""

import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

API = "/api/v1"


def test_token_from_drf_create_token_authenticates(db, django_user_model):
    django_user_model.objects.create_user("ops", password="pw")
    out = io.StringIO()
    call_command("drf_create_token", "ops", stdout=out)
    key = Token.objects.get(user__username="ops").key
    assert key in out.getvalue()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(f"{API}/handoffs/").status_code == 200


def test_wrong_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    response = client.get(f"{API}/teams/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


@pytest.mark.parametrize("path", ["teams/", "people/", "calendars/", "policies/", "leads/",
                                  "handoffs/"])
def test_unauthenticated_requests_are_refused(api_client, db, path):
    response = api_client.get(f"{API}/{path}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_session_login_works(db, django_user_model):
    django_user_model.objects.create_user("ops", password="pw", is_staff=True)
    client = Client()
    response = client.post("/admin/login/", {"username": "ops", "password": "pw"})
    assert response.status_code == 302  # signed in through the admin's login form
    assert client.get(f"{API}/handoffs/").status_code == 200


def test_configuration_reads_and_writes_need_the_models_permissions(db, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="pw")
    client = APIClient()
    client.force_authenticate(user)
    for path in ("teams/", "calendars/", "policies/"):
        assert client.get(f"{API}/{path}").status_code == 403, path
    assert client.post(f"{API}/teams/", {"name": "X"}, format="json").status_code == 403
    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_team", "view_team"]))
    client.force_authenticate(django_user_model.objects.get(pk=user.pk))  # fresh perm cache
    assert client.get(f"{API}/teams/").status_code == 200
    assert client.post(f"{API}/teams/", {"name": "X"}, format="json").status_code == 201


def test_openapi_schema_renders_with_the_pinned_paths(admin_api):
    response = admin_api.get(f"{API}/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in ("teams/", "people/", "calendars/", "policies/", "leads/", "handoffs/",
                 "handoffs/{id}/acknowledge/"):
        assert f"/api/v1/{path}" in schema["paths"], path
    handoff_filters = {p["name"] for p in schema["paths"]["/api/v1/handoffs/"]["get"]["parameters"]}
    assert {"status", "heat", "rep", "team", "lead"} <= handoff_filters


def test_swagger_ui_is_served_from_local_static(admin_api):
    response = admin_api.get(f"{API}/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/schema/" in html
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in scripts
    assert all(src.startswith("/static/") for src in scripts), scripts  # no CDN


def test_swagger_assets_are_served_by_the_app(db, settings):
    # WhiteNoise serves the sidecar files (from the finders here; from collectstatic in prod).
    settings.WHITENOISE_USE_FINDERS = True
    response = Client().get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert response.status_code == 200
    assert b"SwaggerUI" in b"".join(response.streaming_content)
