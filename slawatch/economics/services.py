"""Writes of spend, visits and rates. The API, the admin and the import pages call these."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from slawatch.economics import money, sheets
from slawatch.economics.models import Spend, Visits

SheetError = sheets.SheetError


class ImportTooLarge(SheetError):
    """The file is over the size an import reads (answered 413 by the API)."""


def max_import_bytes() -> int:
    """The largest CSV an import reads: Django's own request body limit
    (DATA_UPLOAD_MAX_MEMORY_SIZE), which DRF does not apply to a body it streams."""
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def check_import_size(size: int) -> None:
    limit = max_import_bytes()
    if limit is not None and size > limit:
        raise ImportTooLarge([f"the file is larger than {limit} bytes: split it into "
                              "smaller imports"])


def read_upload(upload) -> bytes:
    """An uploaded file's bytes, refused by its size before it is read into memory."""
    check_import_size(upload.size or 0)
    return upload.read()


@dataclass
class ImportResult:
    """What an import stored (or, on a dry run, would store)."""

    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    replaced: list[dict] = field(default_factory=list)

    @property
    def message(self) -> str:
        verb = "would store" if self.dry_run else "stored"
        text = (f"{self.kind}: {verb} {self.rows} row{'s' * (self.rows != 1)}, "
                f"{self.created} new, {len(self.replaced)} replacing an earlier figure")
        if self.replaced:
            text += " (" + "; ".join(_replaced_text(r) for r in self.replaced) + ")"
        return text + "."

    def as_dict(self) -> dict:
        return {"dry_run": self.dry_run, "rows": self.rows, "created": self.created,
                "replaced": len(self.replaced), "replacements": self.replaced,
                "message": self.message}


def _replaced_text(item):
    return f"row {item['row']} replaces {item['was']} for {item['what']}"


def spend_import(*, data: bytes | str, dry_run: bool = False) -> ImportResult:
    """Store every row of a spend CSV, or nothing (SheetError lists every bad row).

    A row for a month, source, campaign and category already stored replaces that figure.
    """
    check_import_size(len(data))
    rows = _checked(Spend, sheets.SPEND.read(data))
    return _store(Spend, "spend", rows, dry_run, ("amount", "currency"), _spend_was)


def visits_import(*, data: bytes | str, dry_run: bool = False) -> ImportResult:
    """Store every row of a visits CSV (month, source, visits), or nothing."""
    check_import_size(len(data))
    rows = _checked(Visits, sheets.VISITS.read(data))
    return _store(Visits, "visits", rows, dry_run, ("visits",), lambda v: f"{v.visits} visits")


def _checked(model, rows):
    """The rows, or SheetError when a value does not fit the model's field (a text longer
    than its column, a count beyond the integer column): the model's own limits, so a
    file the database would refuse is a 400 listing rows, never a 500 or a cut value."""
    errors = []
    for number, row in rows:
        try:
            model(**row).clean_fields(exclude=[f.name for f in model._meta.fields
                                               if f.name not in row])
        except ValidationError as exc:
            errors += [f"row {number}: {name}: {message}"
                       for name, messages in exc.message_dict.items() for message in messages]
    if errors:
        raise SheetError(errors)
    return rows


def _spend_was(spend):
    return f"{money.cents(spend.amount)} {spend.currency}"


def _store(model, kind, rows, dry_run, values, was):
    result = ImportResult(kind=kind, dry_run=dry_run, rows=len(rows))
    with transaction.atomic():
        for number, row in rows:
            key = {k: v for k, v in row.items() if k not in values}
            existing = model.objects.select_for_update().filter(**key).first()
            if existing is None:
                result.created += 1
            else:
                result.replaced.append({"row": number, "what": _what(key), "was": was(existing)})
            if dry_run:
                continue
            if existing is None:
                model.objects.create(**row)
            else:
                for name in values:
                    setattr(existing, name, row[name])
                existing.save(update_fields=[*values, "updated_at"])
    return result


def _what(key):
    parts = [money.month_text(key["month"]), key["source"]]
    if key.get("campaign"):
        parts.append(key["campaign"])
    if key.get("category"):
        parts.append(key["category"])
    return " / ".join(parts)
