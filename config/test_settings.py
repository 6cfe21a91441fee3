"""Test settings: the base settings plus fast hashing and in-process email.

Celery runs tasks eagerly unless a test starts a real worker; tests that need
Redis read REDIS_URL (make test starts one on 127.0.0.1)."""

from config.settings import *  # noqa: F403

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
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests choose the wake-up debounce explicitly (tests/ingest/test_inbox_wake.py).
SLAWATCH_INBOX_WAKE_DEBOUNCE = False
# The Slack fakes listen on loopback (tests/escalation/fakes.py).
SLAWATCH_OUTBOUND_ALLOWED_HOSTS = ("127.0.0.1",)
