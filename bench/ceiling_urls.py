"""slawatch's own URLs plus the bench-only ceiling views (bench.settings uses this)."""

from django.urls import path

from bench import ceiling
from config.urls import urlpatterns as slawatch_urlpatterns

urlpatterns = [
    path("bench/ceiling/event/", ceiling.one_event),
    path("bench/ceiling/batch/", ceiling.batch),
    path("bench/ceiling/event-plus/", ceiling.one_event_plus),
    *slawatch_urlpatterns,
]
