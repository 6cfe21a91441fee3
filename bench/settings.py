"""Settings for the bench stack: production settings plus the bench-only ceiling views.

The ceiling (bench/ceiling.py) lives in the same gunicorn processes as slawatch, with
the same middleware and database settings, so "slawatch / ceiling" measured in one
run compares the code and nothing else.
"""

from config.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405  (the ceiling table)
ROOT_URLCONF = "bench.ceiling_urls"
# One log line per request would be part of the measurement; warnings still show.
LOGGING["root"]["level"] = env_str("LOG_LEVEL", "WARNING")  # noqa: F405
