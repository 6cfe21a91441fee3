"""The admin site as slawatch: its name in the header and titles, and a home page per role.

A rep lands on the leads due next (time left, one-click feedback); a manager on the
SLA board; marketing on lead quality, rejections awaiting them and this month's
economics; RevOps on configuration health. Everyone keeps the list of what they may
open below their panels (and in the side bar).
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from slawatch.home import selectors
from slawatch.access import roles, scoping
from slawatch.quality import services
from slawatch.quality.models import RejectReason, Verdict


def landing_role(user):
    """The role whose home page the user sees; a superuser without one gets RevOps'."""
    groups = scoping.scope_of(user).groups
    for role in (roles.MANAGER, roles.REVOPS, roles.MARKETING, roles.REP):
        if role in groups:
            return role
    return roles.REVOPS if user.is_superuser else None


PAGES = (roles.REP, roles.MARKETING, roles.REVOPS)  # a manager's page is the SLA board


class SlawatchAdminSite(admin.AdminSite):
    site_header = "slawatch"
    site_title = "slawatch"
    index_title = "Home"

    def get_urls(self):
        return [path("home/feedback/", self.admin_view(require_POST(self.feedback)),
                     name="home-feedback")] + super().get_urls()

    def index(self, request, extra_context=None):
        role = landing_role(request.user)
        if role == roles.MANAGER and "models" not in request.GET:
            return redirect("sla-board")
        context = {**(extra_context or {}), "role": role}
        if role == roles.REP:
            now = timezone.now()
            context.update(due=[(h, time_left(h.due, now)) for h in
                                selectors.leads_due_next(request.user)],
                           reasons=RejectReason.choices, title="Your leads due next")
        elif role == roles.MARKETING:
            context.update(quality=selectors.quality_last_days(),
                           awaiting=selectors.rejections_awaiting_marketing(),
                           disputes=selectors.open_disputes(),
                           economics=selectors.economics_this_month(),
                           title="Lead quality and this month's economics")
        elif role == roles.REVOPS:
            context.update(health=selectors.configuration_health(),
                           title="Configuration health")
        response = super().index(request, context)
        if role in PAGES:  # the response renders lazily: its template can still change
            response.template_name = [f"admin/home/{role}.html"]
        return response

    def feedback(self, request):
        """One click on a rep's home page: accept, or reject with the chosen reason."""
        back = reverse("admin:index", current_app=self.name)
        if not scoping.gives_feedback(request.user):  # as on the lead page
            messages.error(request, "Only a rep gives feedback on leads.")
            return redirect(back)
        person = scoping.person_of(request.user)
        lead = scoping.leads_for(request.user).filter(pk=request.POST.get("lead") or 0).first() \
            if str(request.POST.get("lead", "")).isdigit() else None
        if person is None or lead is None:
            messages.error(request, "That lead is not yours to give feedback on.")
            return redirect(back)
        verdict = request.POST.get("verdict", "")
        if verdict not in Verdict.values:
            messages.error(request, f"verdict must be one of {', '.join(Verdict.values)}")
            return redirect(back)
        try:
            services.feedback_give(lead=lead, by=person, verdict=verdict,
                                   reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            messages.error(request, f"{lead}: {' '.join(exc.messages)}")
        else:
            messages.success(request, f"{lead}: {verdict}.")
        return redirect(back)


def time_left(due, now):
    """'1h 05m', '12m', or 'overdue 3m': what a rep reads at a glance."""
    seconds = int((due - now).total_seconds())
    minutes = abs(seconds) // 60
    text = f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
    return f"overdue {text}" if seconds < 0 else text
