from django.contrib import admin
from django.urls import path

from slawatch.reports.models import Report
from slawatch.reports.views import dashboard


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Lists the dashboard in the admin index for every staff user; what each one sees
    in it is narrowed by their role (slawatch/access/scoping.py)."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [path("", self.admin_site.admin_view(dashboard), name="reports_report_changelist")]
