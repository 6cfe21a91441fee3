from django.urls import path

from slawatch.reports.api import report_view
from slawatch.reports.families import FAMILIES

urlpatterns = [path(f"reports/{name}/", report_view(name), name=f"report-{name}")
               for name in FAMILIES]
