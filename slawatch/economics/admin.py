"""Spend, visits and rates in the admin, with a CSV import page (the same service as
`POST spend/import/`): check first (dry run), then store."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from slawatch.economics import money, services
from slawatch.economics.models import Rate, Spend, Visits


class MonthLabel:
    """The month column of the economics tables, as "2026-11" (sortable by month)."""

    @admin.display(description="Month", ordering="month")
    def month_label(self, obj):
        return money.month_text(obj.month)


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV, UTF-8 (a byte order mark and Windows line endings "
                                     "are fine), header line first")
    dry_run = forms.BooleanField(required=False, initial=True,
                                 label="Only check (store nothing)")


class CsvImportAdmin(admin.ModelAdmin):
    change_list_template = "admin/economics/change_list_import.html"
    importer = None
    columns = ""

    def get_urls(self):
        opts = self.model._meta
        return [path("import/", self.admin_site.admin_view(self.import_view),
                     name=f"{opts.app_label}_{opts.model_name}_import")] + super().get_urls()

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra = {"can_import": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        errors, result = [], None
        if request.method == "POST" and form.is_valid():
            try:
                result = type(self).importer(
                    data=services.read_upload(form.cleaned_data["file"]),
                    dry_run=form.cleaned_data["dry_run"])
            except services.SheetError as exc:
                errors = exc.errors
            else:
                if not result.dry_run:
                    messages.success(request, result.message)
                    opts = self.model._meta
                    return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": f"Import {self.model._meta.verbose_name_plural} from CSV",
                   "form": form, "errors": errors, "result": result, "columns": self.columns}
        return TemplateResponse(request, "admin/economics/import.html", context,
                                status=400 if errors else 200)


@admin.register(Spend)
class SpendAdmin(MonthLabel, CsvImportAdmin):
    list_display = ["month_label", "source", "campaign", "category", "amount", "currency"]
    list_filter = ["category", "currency", "month"]
    search_fields = ["source", "campaign"]
    importer = staticmethod(services.spend_import)
    columns = "month, source, campaign (optional), category, amount, currency"


@admin.register(Visits)
class VisitsAdmin(MonthLabel, CsvImportAdmin):
    list_display = ["month_label", "source", "visits"]
    list_filter = ["month"]
    search_fields = ["source"]
    importer = staticmethod(services.visits_import)
    columns = "month, source, visits"


@admin.register(Rate)
class RateAdmin(MonthLabel, admin.ModelAdmin):
    list_display = ["month_label", "currency", "rate"]
    list_filter = ["currency"]
