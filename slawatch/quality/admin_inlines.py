"""Lead feedback on a lead's admin page: the rep's own verdict (editable), others' (read-only).

`FeedbackHostMixin` goes on any ModelAdmin of Lead (LeadAdmin, "My leads"). A rep
holds only view permission on leads, so the mixin grants "change" on a lead they
can see, with every lead field read-only: the only thing they can change is their
feedback, which is saved through the feedback service.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from slawatch.access import scoping
from slawatch.quality import services
from slawatch.quality.models import LeadFeedback


class OwnFeedbackInline(admin.StackedInline):
    model = LeadFeedback
    fields = ["verdict", "reason", "rating", "comment"]
    verbose_name = "my feedback"
    verbose_name_plural = "my feedback on this lead"
    extra = 1
    max_num = 1
    can_delete = False

    def get_queryset(self, request):
        person = scoping.person_of(request.user)
        return super().get_queryset(request).filter(given_by=person) if person else \
            LeadFeedback.objects.none()

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj is not None and self.get_queryset(request).filter(lead=obj).exists() else 1

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("quality.change_leadfeedback")


class FeedbackReadonlyInline(admin.TabularInline):
    model = LeadFeedback
    fields = ["given_by", "verdict", "reason", "rating", "comment", "updated_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return scoping.feedback_for(request.user, super().get_queryset(request)
                                    .select_related("given_by"))

    def has_add_permission(self, request, obj=None):
        return False


def gives_feedback(request) -> bool:
    return scoping.gives_feedback(request.user)


class FeedbackHostMixin:
    def get_inlines(self, request, obj):
        inlines = list(super().get_inlines(request, obj))
        if obj is None:
            return inlines
        return [OwnFeedbackInline if gives_feedback(request) else FeedbackReadonlyInline,
                *inlines]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) or gives_feedback(request)

    def save_model(self, request, obj, form, change):
        # A rep "changes" a lead only to give feedback; the lead row itself is the CRM's.
        if super().has_change_permission(request, obj):
            super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not LeadFeedback or not gives_feedback(request):
            return super().save_formset(request, form, formset, change)
        person = scoping.person_of(request.user)
        # The admin's change message reads these lists, which formset.save() would fill.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed():
                continue
            data = inline_form.cleaned_data
            try:
                feedback, created = services.feedback_give(
                    lead=form.instance, by=person, verdict=data["verdict"],
                    reason=data.get("reason") or "", rating=data.get("rating"),
                    comment=data.get("comment") or "")
            except ValidationError as exc:  # the form validated; a race or a rule changed
                messages.error(request, " ".join(exc.messages))
                continue
            if created:
                formset.new_objects.append(feedback)
            else:
                formset.changed_objects.append((feedback, inline_form.changed_data))
