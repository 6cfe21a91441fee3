"""Sign-in with the company's identity provider: OpenID Connect through mozilla-django-oidc.

Off unless OIDC_RP_CLIENT_ID is set (docs/CONFIGURATION.md). The provider's endpoints come
from its discovery document (OIDC_OP_DISCOVERY_URL, read once per process) unless set one
by one. Who may sign in is decided by slawatch's people, not by the provider:
- the provider must vouch for the e-mail (`email_verified: true`; a missing claim is not
  enough), and it must belong to exactly one person, who is active;
- the first sign-in links that person to a Django user (theirs, the user with that e-mail,
  or a new one without a usable password), and the role-group signal puts the user in the
  group of the person's role;
- a deactivated person (or a deactivated user) cannot sign in, nor can a person whose
  linked login carries another e-mail (or none, when it is a superuser).
Local passwords keep working: ModelBackend stays first in AUTHENTICATION_BACKENDS.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import Http404
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from slawatch.people.models import Person

log = logging.getLogger(__name__)

DISCOVERED = {"OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
              "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
              "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
              "OIDC_OP_JWKS_ENDPOINT": "jwks_uri"}


def oidc_enabled() -> bool:
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", None))


@lru_cache(maxsize=4)
def discovery(url: str) -> dict:
    response = requests.get(url, timeout=(5, 10))
    response.raise_for_status()
    return response.json()


def oidc_setting(attr, *default):
    """mozilla-django-oidc's settings lookup, with endpoints filled from discovery."""
    value = getattr(settings, attr, None)
    if value in (None, "") and attr in DISCOVERED and getattr(settings, "OIDC_OP_DISCOVERY_URL",
                                                               None):
        value = discovery(settings.OIDC_OP_DISCOVERY_URL).get(DISCOVERED[attr])
    if value in (None, ""):
        if default:
            return default[0]
        raise ImproperlyConfigured(f"{attr} must be set for OpenID Connect sign-in "
                                   "(or OIDC_OP_DISCOVERY_URL for the endpoints)")
    return value


def oidc_user_link(*, email: str) -> object | None:
    """The user the person with this e-mail signs in as (linked and put in their role's
    group on first sign-in); None when no single active person has the e-mail."""
    people = list(Person.objects.filter(email__iexact=email).select_related("user")[:2])
    if len(people) != 1 or not people[0].is_active:
        log.info("OIDC sign-in refused: %s", "no single person with that e-mail"
                 if len(people) != 1 else "the person is deactivated")
        return None
    person = people[0]
    users = get_user_model().objects
    with transaction.atomic():
        user = person.user or users.filter(email__iexact=email, person__isnull=True).first()
        if user is None:
            user = users.create_user(username=_free_username(email), email=email)
            user.set_unusable_password()
            user.save(update_fields=["password"])
        if not _owns(user, email):
            log.info("OIDC sign-in refused: the person's login carries another e-mail")
            return None
        if person.user_id != user.pk:
            person.user = user
            person.save(update_fields=["user"])  # the role-group signal runs on this save
    return user if user.is_active else None


def _owns(user, email: str) -> bool:
    """Whether the provider's vouching for `email` may open `user`: the account carries
    that e-mail, or none at all and grants no superuser rights. A person pointed (by whoever
    may set Person.user) at another account, a superuser's say, does not open it."""
    if user.email:
        return user.email.lower() == email.lower()
    return not user.is_superuser


def _free_username(email: str) -> str:
    users, base = get_user_model().objects, email.lower()[:140]
    name, n = base, 1
    while users.filter(username=name).exists():
        n += 1
        name = f"{base}~{n}"
    return name


class PersonOIDCBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # Endpoints are resolved on an OIDC callback only, so an unreachable provider never
        # stands in the way of a local password sign-in (Django builds every backend).
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if not oidc_enabled() or request is None or "code" not in request.GET:
            return None
        super().__init__()
        return super().authenticate(request, **kwargs)

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        email = claims.get("email")
        if not email or not email_verified(claims):
            log.info("OIDC sign-in refused: the provider gave no verified e-mail")
            return None
        return oidc_user_link(email=email)


def email_verified(claims: dict) -> bool:
    """Only an explicit `email_verified: true` (some providers send the string "true"):
    a missing claim is unverified, since many providers let a user type any e-mail into
    their profile."""
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


class _Enabled:
    get_settings = staticmethod(oidc_setting)

    def dispatch(self, request, *args, **kwargs):
        if not oidc_enabled():
            raise Http404("sign-in with an identity provider is not configured")
        return super().dispatch(request, *args, **kwargs)


class AuthenticateView(_Enabled, OIDCAuthenticationRequestView):
    def __init__(self, *args, **kwargs):  # the parent reads the endpoint when built
        if oidc_enabled():
            super().__init__(*args, **kwargs)


class CallbackView(_Enabled, OIDCAuthenticationCallbackView):
    pass


def context(request) -> dict:
    """Template context: whether the admin login page offers the company sign-in."""
    return {"oidc_enabled": oidc_enabled()}
