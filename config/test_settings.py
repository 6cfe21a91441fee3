"""Test settings: the base settings plus fast hashing and in-process email.

Celery runs tasks eagerly unless a test starts a real worker; tests that need
Redis read REDIS_URL (make test starts one on 127.0.0.1)."""

import os

# Before the base settings read it: with DEBUG=0 they refuse to start without a key.
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-" + "y" * 32)

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
SECRET_KEY = "test-secret-key-not-for-production-" + "y" * 32
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# WhiteNoise serves STATIC_ROOT and warns on every request when it is missing; tests run
# without collectstatic, so it is an empty (git-ignored) directory here.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests choose the wake-up debounce explicitly (tests/ingest/test_inbox_wake.py).
SLAWATCH_INBOX_WAKE_DEBOUNCE = False
# The Slack fakes listen on loopback (tests/escalation/fakes.py).
SLAWATCH_OUTBOUND_ALLOWED_HOSTS = ("127.0.0.1",)
# One process runs thousands of requests as a handful of users; the throttle tests set
# their own rates (tests/api/test_throttling.py).
SLAWATCH_API_THROTTLE_ANON = SLAWATCH_API_THROTTLE_USER = SLAWATCH_API_THROTTLE_WHATIF = None
