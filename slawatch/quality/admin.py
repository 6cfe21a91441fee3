"""The admin where sales and marketing work on lead quality, plus the rep's "My leads".

Every write goes through services.py: the admin's own save paths are only used to
collect input. Dispute outcomes are never a form field; resolving has its own page
(<id>/resolve/) that only resolvers reach.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from slawatch.access import scoping
from slawatch.access.admin_mixins import (
    FeedbackDisputedFilter,
    LeadBreachedFilter,
    ScopedAdminMixin,
)
from slawatch.leads.admin import CRM_FIELDS
from slawatch.quality import services
from slawatch.quality.admin_inlines import FeedbackHostMixin
from slawatch.quality.models import (
    RESOLUTIONS,
    Commitment,
    DisputeComment,
    DisputeOutcome,
    LeadFeedback,
    MyLead,
    QualityDispute,
    Verdict,
)


@admin.register(LeadFeedback)
class LeadFeedbackAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    scope = staticmethod(scoping.feedback_for)
    list_display = ["lead", "verdict", "reason", "rating", "given_by", "team", "source",
                    "updated_at"]
    list_filter = ["verdict", "reason", "rating", FeedbackDisputedFilter,
                   ("given_by__team", admin.RelatedOnlyFieldListFilter),
                   ("given_by", admin.RelatedOnlyFieldListFilter), "lead__source",
                   "lead__heat"]
    search_fields = ["lead__email", "lead__name", "lead__company", "lead__external_id", "comment"]
    list_select_related = ["lead", "given_by__team"]
    date_hierarchy = "created_at"
    ordering = ["-updated_at"]
    fields = ["lead", "verdict", "reason", "rating", "comment", "given_by"]
    readonly_fields = ["given_by"]
    autocomplete_fields = []

    @admin.display(ordering="given_by__team__name")
    def team(self, obj):
        return obj.given_by.team if obj.given_by and obj.given_by.team_id else "-"

    @admin.display(ordering="lead__source")
    def source(self, obj):
        return obj.lead.source

    def get_readonly_fields(self, request, obj=None):
        return ["lead", "given_by"] if obj is not None else ["given_by"]

    def has_change_permission(self, request, obj=None):
        # Only the rep who gave a verdict changes it (superusers aside).
        if obj is not None and not request.user.is_superuser and \
                obj.given_by_id != getattr(scoping.person_of(request.user), "pk", None):
            return False
        return super().has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "lead":
            kwargs["queryset"] = scoping.leads_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        person = scoping.person_of(request.user)
        if person is None:
            raise PermissionDenied("your user is not linked to a person")
        saved, _ = services.feedback_give(
            lead=obj.lead, by=person, verdict=obj.verdict, reason=obj.reason,
            rating=obj.rating, comment=obj.comment)
        obj.pk = saved.pk


class DisputeCommentInline(admin.TabularInline):
    model = DisputeComment
    fields = ["author", "body", "created_at"]
    readonly_fields = ["author", "created_at"]
    extra = 1
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False  # comments are a record: add, never edit

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class DisputeAddForm(forms.ModelForm):
    class Meta:
        model = QualityDispute
        fields = ["feedback", "reason"]


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(choices=[(o.value, o.label) for o in RESOLUTIONS],
                                widget=forms.RadioSelect)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}),
                              help_text="Why: the rep and marketing both read this.")


@admin.register(QualityDispute)
class QualityDisputeAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    scope = staticmethod(scoping.disputes_for)
    list_display = ["lead", "rejection_reason", "outcome", "rep", "filed_by", "resolved_by",
                    "created_at", "resolved_at"]
    list_filter = ["outcome", "feedback__reason",
                   ("feedback__given_by__team", admin.RelatedOnlyFieldListFilter),
                   ("feedback__given_by", admin.RelatedOnlyFieldListFilter),
                   "feedback__lead__source", "feedback__lead__heat"]
    search_fields = ["feedback__lead__email", "feedback__lead__name", "feedback__lead__company",
                     "feedback__lead__external_id", "reason"]
    list_select_related = ["feedback__lead", "feedback__given_by", "filed_by", "resolved_by"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    readonly_fields = ["feedback", "lead", "rejection_reason", "rejection_comment", "reason",
                       "outcome", "filed_by", "resolved_by", "resolved_at",
                       "resolution_comment", "created_at"]
    inlines = [DisputeCommentInline]
    actions = ["withdraw"]
    change_form_template = "admin/quality/qualitydispute/change_form.html"

    @admin.display(ordering="feedback__lead__name")
    def lead(self, obj):
        return obj.feedback.lead

    @admin.display(description="rejected as")
    def rejection_reason(self, obj):
        return obj.feedback.get_reason_display()

    @admin.display(description="rep's comment")
    def rejection_comment(self, obj):
        return obj.feedback.comment or "-"

    @admin.display(ordering="feedback__given_by__name")
    def rep(self, obj):
        return obj.feedback.given_by

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = DisputeAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_fields(self, request, obj=None):
        return ["feedback", "reason"] if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "feedback":
            kwargs["queryset"] = scoping.feedback_for(request.user).filter(
                verdict=Verdict.REJECTED).exclude(disputes__outcome=DisputeOutcome.OPEN
                                                  ).select_related("lead")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing on a dispute is edited in place; comments are inlines
        try:
            saved = services.dispute_file(feedback=obj.feedback,
                                          by=scoping.person_of(request.user), reason=obj.reason)
        except ValidationError as exc:
            raise PermissionDenied(" ".join(exc.messages)) from None
        obj.pk = saved.pk

    def save_formset(self, request, form, formset, change):
        if formset.model is not DisputeComment:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if inline_form.has_changed() and inline_form.cleaned_data.get("body"):
                formset.new_objects.append(services.dispute_comment(
                    dispute=form.instance, by=scoping.person_of(request.user),
                    body=inline_form.cleaned_data["body"]))

    def has_change_permission(self, request, obj=None):
        # Every field is read-only; "change" here means adding to the comment thread.
        return super().has_change_permission(request, obj) or \
            request.user.has_perm("quality.add_disputecomment")

    def has_withdraw_permission(self, request):
        return request.user.has_perm("quality.add_qualitydispute")

    @admin.action(description="Withdraw (marketing: your own open disputes)",
                  permissions=["withdraw"])
    def withdraw(self, request, queryset):
        person = scoping.person_of(request.user)
        mine = queryset.filter(outcome=DisputeOutcome.OPEN)
        if not request.user.is_superuser:
            mine = mine.filter(filed_by=person)
        for dispute in mine:
            services.dispute_withdraw(dispute=dispute, by=person)
        messages.success(request, f"Withdrew {len(mine)} open disputes you filed.")

    # --- resolving: its own page, so only resolvers can even post it -------------

    def get_urls(self):
        resolve = self.admin_site.admin_view(self.resolve_view)
        return [path("<path:object_id>/resolve/", resolve,
                     name="quality_qualitydispute_resolve"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}),
                         "can_resolve": self._can_resolve(request, object_id)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _can_resolve(self, request, object_id):
        dispute = self.get_object(request, object_id)
        return (dispute is not None and dispute.outcome == DisputeOutcome.OPEN
                and request.user.has_perm("quality.resolve_qualitydispute"))

    def resolve_view(self, request, object_id):
        dispute = self.get_object(request, object_id)
        if dispute is None:
            raise _not_found()
        if not request.user.has_perm("quality.resolve_qualitydispute"):
            raise PermissionDenied("only a sales manager or RevOps can resolve a dispute")
        form = ResolveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.dispute_resolve(dispute=dispute, by=scoping.person_of(request.user),
                                         outcome=form.cleaned_data["outcome"],
                                         comment=form.cleaned_data["comment"])
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                messages.success(request, f"Dispute on {dispute.feedback.lead} resolved.")
                return HttpResponseRedirect(
                    reverse("admin:quality_qualitydispute_change", args=[dispute.pk]))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": f"Resolve the dispute on {dispute.feedback.lead}",
                   "dispute": dispute, "form": form, "original": dispute}
        return TemplateResponse(request, "admin/quality/qualitydispute/resolve.html", context)


def _not_found():
    return Http404("No such record, or it is outside what you can see.")


@admin.register(Commitment)
class CommitmentAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "rep", "team", "year", "quarter", "leads_committed"]
    list_filter = ["year", "quarter", "team"]
    list_select_related = ["rep", "team"]
    readonly_fields = ["created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(MyLead)
class MyLeadAdmin(FeedbackHostMixin, admin.ModelAdmin):
    """A rep's own work list: the leads they currently own, with their verdict."""

    list_display = ["__str__", "company", "heat", "source", "campaign", "status",
                    "my_verdict", "created_at"]
    list_filter = ["status", "heat", LeadBreachedFilter, "source"]
    search_fields = ["email", "name", "company", "external_id"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    readonly_fields = CRM_FIELDS

    def get_queryset(self, request):
        person = scoping.person_of(request.user)
        if person is None:
            return MyLead.objects.none()
        verdict = LeadFeedback.objects.filter(lead=OuterRef("pk"), given_by=person)
        return super().get_queryset(request).filter(owner=person).annotate(
            my_verdict_value=Subquery(verdict.values("verdict")[:1]))

    @admin.display(description="my verdict", ordering="my_verdict_value")
    def my_verdict(self, obj):
        return dict(Verdict.choices).get(obj.my_verdict_value, "— not yet —")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if self.get_object(request, object_id) is None:
            raise _not_found()
        return super().change_view(request, object_id, form_url, extra_context)
