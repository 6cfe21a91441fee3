"""Set-based writes the ORM cannot express cheaply, for the sweep's and the inbox's hot paths.

- `update_returning`: an ORM-built UPDATE plus `RETURNING id`, so a batch claim learns
  in one round trip which rows it won (queryset.update() only returns a count).
- `update_rows`: one `UPDATE … FROM (VALUES …)` giving each row its own values.
  `bulk_update` builds a CASE WHEN per field and row, which is most of a 1,000-row
  sweep's time (docs/BENCHMARKS.md).

- `insert_new`: `INSERT … ON CONFLICT DO NOTHING RETURNING`, so a batch insert learns
  which rows were new (bulk_create(ignore_conflicts=True) cannot tell).

All work on PostgreSQL and on SQLite >= 3.35 (UPDATE FROM since 3.33, RETURNING since
3.35; VALUES columns are named column1, column2, … on both).
"""

from __future__ import annotations

from django.db import connections, router
from django.db.models.sql import UpdateQuery

_CHUNK = 500


def update_returning(queryset, **values) -> list:
    """Run `queryset.update(**values)` and return the primary keys of the rows it changed."""
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    connection = connections[queryset.db]
    sql, params = query.get_compiler(connection=connection).as_sql()
    if not sql:
        return []
    pk_column = connection.ops.quote_name(queryset.model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {pk_column}", params)
        return [row[0] for row in cursor.fetchall()]


def update_rows(model, fields: list[str], rows: dict) -> None:
    """Set `fields` of each row: rows maps primary key -> tuple of values in field order."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    pk = model._meta.pk
    targets = [model._meta.get_field(name) for name in fields]
    typed = connection.vendor == "postgresql"  # PostgreSQL infers VALUES types; cast them

    def slot(field):
        return f"CAST(%s AS {field.db_type(connection)})" if typed else "%s"

    row_sql = "(" + ", ".join([slot(pk)] + [slot(f) for f in targets]) + ")"
    table = quote(model._meta.db_table)
    sets = ", ".join(f"{quote(f.column)} = v.column{i + 2}" for i, f in enumerate(targets))
    items = list(rows.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), _CHUNK):
            chunk = items[start:start + _CHUNK]
            params = []
            for key, values in chunk:
                params.append(key)
                params += [f.get_db_prep_save(v, connection) for f, v in zip(targets, values)]
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([row_sql] * len(chunk))}) "
                f"AS v WHERE {table}.{quote(pk.column)} = v.column1", params)


def insert_new(model, rows: list, *, conflict: tuple[str, ...], returning: str) -> list:
    """Insert the rows not conflicting with stored ones on the `conflict` fields (a unique
    constraint); returns the `returning` field's value of each row inserted."""
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    target = ", ".join(quote(opts.get_field(name).column) for name in conflict)
    inserted = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start:start + _CHUNK]
            params = [f.get_db_prep_save(f.pre_save(row, True), connection)
                      for row in chunk for f in fields]
            cursor.execute(
                f"INSERT INTO {quote(opts.db_table)} ({columns}) "
                f"VALUES {', '.join([placeholders] * len(chunk))} "
                f"ON CONFLICT ({target}) DO NOTHING "
                f"RETURNING {quote(opts.get_field(returning).column)}", params)
            inserted += [row[0] for row in cursor.fetchall()]
    return inserted
