"""DRF throttles whose rates come from the settings at request time
(SLAWATCH_API_THROTTLE_ANON / _USER / _WHATIF; `off` disables one), so a deployment, or a
test, can change them without re-importing DRF's class attributes."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class AnonThrottle(AnonRateThrottle):
    def get_rate(self):
        return settings.SLAWATCH_API_THROTTLE_ANON


class UserThrottle(UserRateThrottle):
    def get_rate(self):
        return settings.SLAWATCH_API_THROTTLE_USER


class WhatIfThrottle(UserRateThrottle):
    """What-if replays cost seconds of a web worker each: their own, lower rate per user,
    on top of the general ones."""

    scope = "what_if"

    def get_rate(self):
        return settings.SLAWATCH_API_THROTTLE_WHATIF
