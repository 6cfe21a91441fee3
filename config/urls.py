from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("slawatch.leads.urls")),  # /admin/board/ must precede the admin's catch-all
    path("", include("slawatch.reports.urls")),  # /admin/reports/, before the catch-all
    path("admin/", admin.site.urls),
    path("oidc/", include("mozilla_django_oidc.urls")),  # 404 unless OIDC_RP_CLIENT_ID is set
    path("api/v1/", include("slawatch.api.urls")),
    path("", include("slawatch.ingest.urls")),
    path("", include("slawatch.escalation.urls")),
    path("", include("slawatch.ops.urls")),
    path("demo/", include("slawatch.demo.urls")),  # 404 unless SLAWATCH_DEMO (make run)
]
