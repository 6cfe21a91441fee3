"""Set-based writes the ORM cannot express cheaply, for the sweep's and the inbox's hot paths.

- `claim_rows`: one conditional `UPDATE … FROM (VALUES …) … RETURNING id`: each row is
  matched on the values it was read with, and the statement says which rows it won
  (queryset.update() only returns a count, and one UPDATE per row is a round trip each).
- `update_rows`: one `UPDATE … FROM (VALUES …)` giving each row its own values.
  `bulk_update` builds a CASE WHEN per field and row, which is most of a 1,000-row
  sweep's time (docs/BENCHMARKS.md).

- `insert_new`: `INSERT … ON CONFLICT DO NOTHING RETURNING`, so a batch insert learns
  which rows were new (bulk_create(ignore_conflicts=True) cannot tell).
- `copy_rows`: `INSERT INTO … SELECT … FROM … WHERE id IN (…)`, a copy of stored rows
  made by the database (the sweep's history entries: django-simple-history's
  bulk_history_create builds a model instance per row and was a third of a 1,000-row
  sweep).

All are plain SQL written here, built only from documented pieces (`Field.db_type`,
`Field.get_db_prep_save`, `Field.pre_save`, `connection.ops.quote_name`, a cursor), so no
Django upgrade can change what they send. They run on PostgreSQL and on SQLite >= 3.35
(UPDATE FROM since 3.33, RETURNING since 3.35; VALUES columns are named column1, column2,
… on both).
"""

from __future__ import annotations

from django.db import connections, models, router

_CHUNK = 500


def _values(connection, fields, rows):
    """`VALUES (…), (…)` for rows of values in `fields` order, and its parameters.
    PostgreSQL infers a VALUES column's type from its first row, so each slot is cast."""
    typed = connection.vendor == "postgresql"
    slots = [f"CAST(%s AS {f.db_type(connection)})" if typed else "%s" for f in fields]
    row_sql = "(" + ", ".join(slots) + ")"
    params = [f.get_db_prep_save(v, connection) for row in rows for f, v in zip(fields, row)]
    return "VALUES " + ", ".join([row_sql] * len(rows)), params


def _run(model, sets: list[str], set_params: list, columns, joined: int, rows,
         returning: bool) -> list:
    """UPDATE the model's table FROM VALUES rows of `columns` (the primary key first); the
    first `joined` columns must equal the row's own for it to be updated."""
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    won = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start:start + _CHUNK]
            values, params = _values(connection, columns, chunk)
            where = " AND ".join(f"{table}.{quote(f.column)} = v.column{i + 1}"
                                 for i, f in enumerate(columns[:joined]))
            sql = f"UPDATE {table} SET {', '.join(sets)} FROM ({values}) AS v WHERE {where}"
            if returning:
                sql += f" RETURNING {table}.{quote(model._meta.pk.column)}"
            cursor.execute(sql, set_params + params)
            if returning:
                won += [row[0] for row in cursor.fetchall()]
    return won


def claim_rows(model, expected: dict, match: list[str], **values) -> list:
    """Set `values` on each row that still has the values it was read with; return the
    primary keys of the rows changed. `expected` maps primary key -> tuple of the
    `match` fields' values, as read."""
    if not expected:
        return []
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in values]
    sets = [f"{quote(f.column)} = %s" for f in fields]
    set_params = [f.get_db_prep_save(v, connection) for f, v in zip(fields, values.values())]
    matched = [model._meta.get_field(name) for name in match]
    rows = [(key, *seen) for key, seen in expected.items()]
    columns = [model._meta.pk, *matched]
    return _run(model, sets, set_params, columns, len(columns), rows, returning=True)


def update_rows(model, fields: list[str], rows: dict) -> None:
    """Set `fields` of each row: rows maps primary key -> tuple of values in field order."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    targets = [model._meta.get_field(name) for name in fields]
    sets = [f"{quote(f.column)} = v.column{i + 2}" for i, f in enumerate(targets)]
    _run(model, sets, [], [model._meta.pk, *targets], 1,
         [(key, *vals) for key, vals in rows.items()], returning=False)


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


def copy_rows(target, source, pks: list, **constants) -> None:
    """Insert into `target` one row per `source` row in `pks`, read by the database: each
    of target's concrete fields takes the source column of the same name, or its value
    in `constants`; an auto primary key of target numbers the copies."""
    if not pks:
        return
    connection = connections[router.db_for_write(target)]
    quote = connection.ops.quote_name
    src = quote(source._meta.db_table)
    # Big and small auto fields are AutoField instances too (Django's AutoFieldMeta).
    fields = [f for f in target._meta.concrete_fields
              if f.name in constants or not isinstance(f, models.AutoField)]
    names, exprs, params = [], [], []
    for f in fields:
        names.append(quote(f.column))
        if f.name in constants:
            exprs.append("%s")
            params.append(f.get_db_prep_save(constants[f.name], connection))
        else:
            exprs.append(f"{src}.{quote(source._meta.get_field(f.name).column)}")
    with connection.cursor() as cursor:
        for start in range(0, len(pks), _CHUNK):
            chunk = pks[start:start + _CHUNK]
            cursor.execute(
                f"INSERT INTO {quote(target._meta.db_table)} ({', '.join(names)}) "
                f"SELECT {', '.join(exprs)} FROM {src} "
                f"WHERE {src}.{quote(source._meta.pk.column)} IN "
                f"({', '.join(['%s'] * len(chunk))})", params + list(chunk))
