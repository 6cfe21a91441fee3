"""DRF throttles whose rates come from the settings at request time
(SLAWATCH_API_THROTTLE_ANON / _USER; `off` disables one), so a deployment, or a test,
can change them without re-importing DRF's class attributes."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class AnonThrottle(AnonRateThrottle):
    def get_rate(self):
        return settings.SLAWATCH_API_THROTTLE_ANON


class UserThrottle(UserRateThrottle):
    def get_rate(self):
        return settings.SLAWATCH_API_THROTTLE_USER
