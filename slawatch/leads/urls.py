from django.urls import path, reverse_lazy
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/board/",
         RedirectView.as_view(url=reverse_lazy("admin:leads_slaboard_changelist")),
         name="sla-board"),
]
