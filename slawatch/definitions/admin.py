"""The lead definition page: a rules editor validated on save, the diff against the active
version, a preview over the last 90 days of stored leads, and approve buttons by role."""

import json
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from slawatch.access import scoping
from slawatch.definitions import selectors, services
from slawatch.definitions.models import DefinitionApproval, LeadDefinition, Status, side_of
from slawatch.leads import heat_rules

RULES_HELP = (
    'An ordered JSON list; the first rule whose conditions all hold decides, e.g. '
    '[{"heat": "hot", "when": [{"field": "score", "op": "gte", "value": 80}]}]. '
    "field: source, campaign, score, email_domain, country or any CRM property; "
    "op: eq, ne, in, not_in, gte, lte, contains, exists.")


class RulesField(forms.JSONField):
    """The rules as indented JSON, checked by the engine's own validator on save."""

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value  # the text as typed, shown again with its error
        return json.dumps(value, indent=2, ensure_ascii=False)

    def validate(self, value):
        super().validate(value)
        try:
            heat_rules.validate_rules(value)
        except heat_rules.RuleError as exc:
            raise ValidationError(str(exc)) from None


class DefinitionForm(forms.ModelForm):
    rules = RulesField(required=False, help_text=RULES_HELP,
                       widget=forms.Textarea(attrs={"rows": 18, "cols": 100,
                                                    "class": "rules-editor",
                                                    "spellcheck": "false"}))

    class Meta:
        model = LeadDefinition
        fields = ["name", "default_heat", "crm_heat", "rules", "effective_from"]

    def clean_rules(self):
        return self.cleaned_data.get("rules") or []


class ApprovalInline(admin.TabularInline):
    model = DefinitionApproval
    extra = 0
    fields = readonly_fields = ["person", "side", "approved_at", "withdrawn_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LeadDefinition)
class LeadDefinitionAdmin(SimpleHistoryAdmin):
    form = DefinitionForm
    list_display = ["name", "version", "status", "effective_from", "approved_by", "retired_at",
                    "activated_alone"]
    list_filter = ["status"]
    inlines = [ApprovalInline]
    change_form_template = "admin/definitions/leaddefinition/change_form.html"
    FROZEN = ["name", "default_heat", "crm_heat", "rules_shown", "effective_from", "status",
              "version", "activated_at", "activated_by", "activated_alone", "retired_at"]

    @admin.display(description="approved by")
    def approved_by(self, obj):
        return ", ".join(f"{a.person} ({a.side})" for a in obj.approvals.all()
                         if a.withdrawn_at is None) or "-"

    @admin.display(description="rules")
    def rules_shown(self, obj):
        return json.dumps(obj.rules, indent=2)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("approvals__person")

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None and obj.status != Status.DRAFT:
            kwargs["form"] = forms.ModelForm  # frozen: no editor at all, every field read-only
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def get_fields(self, request, obj=None):
        if obj is not None and obj.status != Status.DRAFT:
            return self.FROZEN
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return self.FROZEN if obj is not None and obj.status != Status.DRAFT else []

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.status == Status.DRAFT)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.EDITABLE
                if name in form.cleaned_data}
        try:
            if change:
                saved = services.definition_update(definition=obj, by=request.user, **data)
            else:
                saved = services.definition_create(by=request.user, **data)
        except services.DefinitionFrozen as exc:
            raise PermissionDenied(str(exc)) from None
        obj.pk, obj.status = saved.pk, saved.status

    # --- the page around the form ---------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        definition = self.get_object(request, object_id)
        extra = {}
        if definition is not None:
            preview = self._preview(definition, request.user)
            extra = {"preview": preview,
                     "preview_rules": preview.rule_rows(definition) if preview else [],"diff": selectors.diff_against_active(definition),
                     "active": selectors.active_definition(),
                     "awaited": selectors.awaited_sides(definition),
                     "buttons": self._buttons(request, definition)}
        return super().change_view(request, object_id, form_url,
                                   {**(extra_context or {}), **extra})

    @staticmethod
    def _preview(definition, user):
        visible = None if scoping.sees_everything(user) else partial(scoping.leads_for, user)
        try:
            return selectors.preview(definition, visible=visible)
        except heat_rules.RuleError:
            return None  # rules stored before validation tightened: the form says why

    @staticmethod
    def _buttons(request, definition):
        if definition.status != Status.DRAFT:
            return {}
        person = getattr(request.user, "person", None)
        side = side_of(person)
        signed = side is not None and definition.approvals.filter(
            person=person, withdrawn_at__isnull=True).exists()
        return {"approve_side": side if side and not signed else None,
                "activate": request.user.is_superuser}

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<path:object_id>/approve/", wrap(self.approve_view),
                     name="definitions_leaddefinition_approve"),
                path("<path:object_id>/activate/", wrap(self.activate_view),
                     name="definitions_leaddefinition_activate"),
                *super().get_urls()]

    def _act(self, request, object_id, service, done):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        definition = self.get_object(request, object_id)
        if definition is None:
            raise Http404("No such lead definition.")
        try:
            saved = service(definition=definition, user=request.user)
        except services.DefinitionFrozen as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, done(saved))
        return HttpResponseRedirect(
            reverse("admin:definitions_leaddefinition_change", args=[definition.pk]))

    def approve_view(self, request, object_id):
        return self._act(request, object_id, services.definition_approve, lambda d: (
            f"{d} is now active (version {d.version})." if d.status == Status.ACTIVE
            else "Your approval is recorded; the other side has been asked."))

    def activate_view(self, request, object_id):
        return self._act(request, object_id, services.definition_activate,
                         lambda d: f"{d} is now active (version {d.version}).")
