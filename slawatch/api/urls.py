from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from slawatch.api import views
from slawatch.definitions import api as definitions_api
from slawatch.economics import api as economics_api
from slawatch.quality import api as quality_api
from slawatch.whatif.api import WhatIfView

router = DefaultRouter()
router.register("teams", views.TeamViewSet)
router.register("people", views.PersonViewSet)
router.register("calendars", views.CalendarViewSet)
router.register("policies", views.PolicyViewSet)
router.register("leads", views.LeadViewSet)
router.register("handoffs", views.HandoffViewSet)
router.register("feedback", quality_api.FeedbackViewSet, basename="feedback")
router.register("disputes", quality_api.DisputeViewSet, basename="dispute")
router.register("definitions", definitions_api.DefinitionViewSet, basename="definition")
router.register("spend", economics_api.SpendViewSet, basename="spend")
router.register("visits", economics_api.VisitsViewSet, basename="visits")
router.register("rates", economics_api.RateViewSet, basename="rate")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("slawatch.reports.api_urls")),
    path("what-if/", WhatIfView.as_view(), name="what-if"),
    path("", include(router.urls)),
]
