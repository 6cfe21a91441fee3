from django.contrib import admin

from slawatch.access.admin_mixins import PageAdmin
from slawatch.reports.models import Report
from slawatch.reports.views import dashboard


def _staff(user):
    return user.is_active and user.is_staff


@admin.register(Report)
class ReportAdmin(PageAdmin):
    """Lists the dashboard in the admin index for every staff user; what each one sees
    in it is narrowed by their role (slawatch/access/scoping.py)."""

    page_view = staticmethod(dashboard)
    visible_to = staticmethod(_staff)
