from django.contrib import admin
from django.urls import path

from slawatch.reports.views import dashboard

# Included before the admin in config/urls.py: the admin's catch-all would answer first.
urlpatterns = [
    path("admin/reports/", admin.site.admin_view(dashboard), name="reports-dashboard"),
]
