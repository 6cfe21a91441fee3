"""Sign-in with an OpenID Connect provider: a fake one on 127.0.0.1 with discovery,
authorization, token (an RS256 id_token), JWKS and userinfo endpoints."""

import json
import time
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from slawatch.access import oidc
from slawatch.people.models import Role
from tests.factories import PersonFactory
from tests.ingest.fakes import FakeServer

CLIENT_ID, CLIENT_SECRET = "slawatch-client", "slawatch-secret"


class FakeProvider(FakeServer):
    def __init__(self):
        super().__init__()
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes = {}  # code -> (nonce, claims)
        self.next_claims = {}

    def route(self, request):
        path = request["path"]
        if path == "/.well-known/openid-configuration":
            return 200, {}, {"issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
                             "token_endpoint": f"{self.url}/token",
                             "userinfo_endpoint": f"{self.url}/userinfo",
                             "jwks_uri": f"{self.url}/jwks",
                             "id_token_signing_alg_values_supported": ["RS256"]}
        if path == "/authorize":
            query = {k: v[0] for k, v in request["query"].items()}
            assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
            code = f"code-{len(self.codes)}"
            self.codes[code] = (query["nonce"], dict(self.next_claims))
            target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
            return 302, {"Location": target}, b""
        if path == "/token":
            form = {k: v[0] for k, v in parse_qs(request["body"].decode()).items()}
            if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET) \
                    or form.get("code") not in self.codes:
                return 400, {}, {"error": "invalid_grant"}
            nonce, claims = self.codes.pop(form["code"])
            now = int(time.time())
            id_token = jwt.encode({"iss": self.url, "aud": CLIENT_ID, "sub": claims["sub"],
                                   "email": claims["email"], "nonce": nonce, "iat": now,
                                   "exp": now + 300}, self.key, algorithm="RS256",
                                  headers={"kid": "k1"})
            return 200, {}, {"access_token": f"at-{claims['sub']}", "id_token": id_token,
                             "token_type": "Bearer", "expires_in": 300}
        if path == "/jwks":
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return 200, {}, {"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}
        if path == "/userinfo":
            sub = request["headers"].get("Authorization", "").removeprefix("Bearer at-")
            claims = {"sub": sub, "email": self.next_claims["email"], "email_verified": True,
                      "name": "Rita Rep", **self.next_claims.get("userinfo", {})}
            return 200, {}, {k: v for k, v in claims.items() if v is not None}
        return super().route(request)


@pytest.fixture
def provider(settings):
    with FakeProvider() as fake:
        oidc.discovery.cache_clear()
        settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
        settings.OIDC_OP_DISCOVERY_URL = f"{fake.url}/.well-known/openid-configuration"
        yield fake
        oidc.discovery.cache_clear()


def _sign_in(client, provider, email, sub="sub-1", **userinfo):
    """The whole flow; `userinfo` overrides claims of the userinfo answer (None: left out)."""
    provider.next_claims = {"sub": sub, "email": email, "userinfo": userinfo}
    start = client.get("/oidc/authenticate/?next=/admin/")
    assert start.status_code == 302 and start.url.startswith(provider.url + "/authorize")
    back = requests.get(start.url, allow_redirects=False, timeout=5).headers["Location"]
    callback = urlparse(back)
    return client.get(f"{callback.path}?{callback.query}")


def test_first_login_links_the_person_and_gives_the_role_group(db, client, provider):
    rita = PersonFactory(name="Rita Rep", email="rita.rep@example.com", role=Role.REP)
    response = _sign_in(client, provider, "Rita.Rep@Example.com")
    assert response.status_code == 302 and response.url == "/admin/"
    rita.refresh_from_db()
    assert rita.user is not None and rita.user.email.lower() == "rita.rep@example.com"
    assert list(rita.user.groups.values_list("name", flat=True)) == ["rep"]
    assert rita.user.is_staff and not rita.user.has_usable_password()
    assert client.get("/admin/").status_code == 200  # signed in
    # A second sign-in uses the same user.
    client.logout()
    _sign_in(client, provider, "rita.rep@example.com")
    assert int(client.session["_auth_user_id"]) == rita.user.pk


def test_a_deactivated_or_unknown_person_cannot_sign_in(db, client, provider):
    PersonFactory(name="Old Rep", email="old.rep@example.com", is_active=False)
    for email in ("old.rep@example.com", "stranger@example.com"):
        response = _sign_in(client, provider, email)
        assert response.url == "/admin/login/?sso=refused"
        assert "no active person" in client.get(response.url).content.decode()
        assert "_auth_user_id" not in client.session


def test_local_passwords_keep_working_and_sso_is_off_without_a_client_id(
        db, client, django_user_model, settings, provider):
    django_user_model.objects.create_superuser("root", "root@example.com", "pw-local-1")
    assert "Sign in with your company account" in client.get("/admin/login/").content.decode()
    response = client.post("/admin/login/?next=/admin/",
                           {"username": "root", "password": "pw-local-1"})
    assert response.status_code == 302 and client.get("/admin/").status_code == 200
    settings.OIDC_RP_CLIENT_ID = None
    assert client.get("/oidc/authenticate/").status_code == 404
