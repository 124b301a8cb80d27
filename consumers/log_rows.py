"""Writing a message's log row: one INSERT … ON CONFLICT DO NOTHING RETURNING for a new row and
one UPDATE of the changed columns to finish it — SQL the ORM would also send, without its
per-call overhead (measured in docs/performance-email.md): get_or_create took a SELECT then
BEGIN/INSERT/COMMIT, and save() rewrote every column."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DataError, IntegrityError, connections, models, router


def sender_id(actor: str | None) -> int | None:
    """The Django user behind the event, if the actor is one."""
    if actor and actor.isdigit() and get_user_model().objects.filter(pk=int(actor)).exists():
        return int(actor)
    return None


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def saved_values(entry: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(entry, f.attname) for f in _columns(type(entry))}


def update_changed(entry: models.Model) -> None:
    """UPDATE the columns that changed since the row was read or inserted (`_saved_values`)."""
    saved = entry.__dict__.get("_saved_values")
    if saved is None:  # not read through insert_or_get: the ORM's full save
        entry.save()
        return
    for f in _columns(type(entry)):
        if getattr(f, "auto_now", False):
            f.pre_save(entry, False)
    changed = [f for f in _columns(type(entry)) if getattr(entry, f.attname) != saved[f.attname]]
    if not changed:
        return
    connection = connections[entry._state.db]
    quote = connection.ops.quote_name
    sql = (f"UPDATE {quote(entry._meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in changed)} "
           f"WHERE {quote(entry._meta.pk.column)} = %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in changed] + [entry.pk])
    entry._saved_values = saved_values(entry)


@lru_cache(maxsize=None)
def _insert_sql(model: type[models.Model], alias: str) -> str:
    quote = connections[alias].ops.quote_name
    key = ", ".join(quote(model._meta.get_field(name).column) for name in ("event_id", "template", model.RECIPIENT_FIELD))
    columns = _columns(model)
    return (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT ({key}) DO NOTHING "
            f"RETURNING {quote(model._meta.pk.column)}")


def insert_unless_logged(entry: models.Model) -> bool:
    """INSERT the new log row unless one exists for its (event, template, recipient); True if inserted.

    Values are prepared as the ORM's own INSERT prepares them (field defaults, auto_now_add, JSON).
    """
    alias = router.db_for_write(type(entry))
    connection = connections[alias]
    values = [f.get_db_prep_save(f.pre_save(entry, True), connection) for f in _columns(type(entry))]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(type(entry), alias), values)
        row = cursor.fetchone()
    if row is None:
        return False
    entry.pk = row[0]
    entry._state.adding, entry._state.db = False, alias
    return True


def insert_or_get(model: type[models.Model], key: dict[str, Any], **fields: Any) -> models.Model:
    """The message's log row: a new PENDING one (one round trip), or the one an earlier delivery left."""
    entry = model(**key, **fields)
    if not insert_unless_logged(entry):
        entry = model.objects.get(**key)
    entry._saved_values = saved_values(entry)  # so update_changed writes only what changed
    return entry


# --- a batch of messages: one INSERT for their rows, one UPDATE to finish them --------------
def senders(actors: set[str | None]) -> dict[str, int]:
    """`sender_id` for several actors at once (one query)."""
    ids = {int(a) for a in actors if a and a.isdigit()}
    if not ids:
        return {}
    return {str(pk): pk for pk in get_user_model().objects.filter(pk__in=ids).values_list("pk", flat=True)}


@lru_cache(maxsize=None)
def _insert_many_sql(model: type[models.Model], alias: str) -> str:
    """One statement for any number of rows (the columns as arrays, unnested), so its text, and
    psycopg's parse of it, is the same for every batch."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    columns = _columns(model)
    key = ", ".join(quote(model._meta.get_field(n).column) for n in ("event_id", "template", model.RECIPIENT_FIELD))
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in columns)
    return (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "
            f"SELECT * FROM unnest({arrays}) ON CONFLICT ({key}) DO NOTHING "
            f"RETURNING {quote(model._meta.pk.column)}, {key}")


def insert_or_get_many(model: type[models.Model], rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[models.Model]:
    """The log rows of a batch of messages, each (key, fields) like insert_or_get's: one INSERT … ON
    CONFLICT DO NOTHING RETURNING for all, and one SELECT for those an earlier delivery left."""
    if len(rows) <= 1:
        return [insert_or_get(model, key, **fields) for key, fields in rows]
    alias = router.db_for_write(model)
    connection = connections[alias]
    recipient = model.RECIPIENT_FIELD
    entries = [model(**key, **fields) for key, fields in rows]
    arrays = [[f.get_db_prep_save(f.pre_save(entry, True), connection) for entry in entries] for f in _columns(model)]
    with connection.cursor() as cursor:
        cursor.execute(_insert_many_sql(model, alias), arrays)
        inserted = {(event_id, template, str(to)): pk for pk, event_id, template, to in cursor.fetchall()}
    for entry in entries:  # recipients compared as text: a column of user ids reads back as numbers
        pk = inserted.get((entry.event_id, entry.template, str(getattr(entry, recipient))))
        if pk is not None:
            entry.pk = pk
            entry._state.adding, entry._state.db = False, alias
    found: dict[tuple, models.Model] = {}
    if missing := [entry for entry in entries if entry.pk is None]:
        wanted = models.Q()
        for entry in missing:
            wanted |= models.Q(event_id=entry.event_id, template=entry.template, **{recipient: getattr(entry, recipient)})
        found = {(row.event_id, row.template, str(getattr(row, recipient))): row for row in model.objects.filter(wanted)}
    result = []
    for entry in entries:
        if entry.pk is None:
            entry = found[(entry.event_id, entry.template, str(getattr(entry, recipient)))]
        entry._saved_values = saved_values(entry)
        result.append(entry)
    return result


def _changed(entry: models.Model) -> list[models.Field]:
    saved = entry.__dict__["_saved_values"]
    for f in _columns(type(entry)):
        if getattr(f, "auto_now", False):
            f.pre_save(entry, False)
    return [f for f in _columns(type(entry)) if getattr(entry, f.attname) != saved[f.attname]]


def finish_rows(entries: list[models.Model]) -> dict[int, Exception]:
    """Write what changed on a batch's rows; return, by position, the rows the database refused for
    their data (then each row is written on its own, so one bad row keeps only itself unwritten)."""
    try:
        update_changed_many(entries)
        return {}
    except (DataError, IntegrityError):
        failed = {}
        for i, entry in enumerate(entries):
            try:
                update_changed(entry)
            except (DataError, IntegrityError) as exc:
                failed[i] = exc
        return failed


def update_changed_many(entries: list[models.Model]) -> None:
    """Finish a batch of rows of one model in one UPDATE … FROM unnest(…) of the columns any of them changed."""
    entries = [e for e in entries if "_saved_values" in e.__dict__]
    if len(entries) <= 1:
        for entry in entries:
            update_changed(entry)
        return
    changed = {f for entry in entries for f in _changed(entry)}
    columns = tuple(f for f in _columns(type(entries[0])) if f in changed)
    if not columns:
        return
    connection = connections[entries[0]._state.db]
    arrays = [[entry.pk for entry in entries]]
    arrays += [[f.get_db_prep_save(getattr(entry, f.attname), connection) for entry in entries] for f in columns]
    with connection.cursor() as cursor:
        cursor.execute(_update_many_sql(type(entries[0]), entries[0]._state.db, columns), arrays)
    for entry in entries:
        entry._saved_values = saved_values(entry)


@lru_cache(maxsize=256)
def _update_many_sql(model: type[models.Model], alias: str, columns: tuple[models.Field, ...]) -> str:
    connection = connections[alias]
    quote = connection.ops.quote_name
    pk = model._meta.pk
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in (pk, *columns))
    names = ", ".join(quote(f.column) for f in (pk, *columns))
    return (f"UPDATE {quote(model._meta.db_table)} AS t SET "
            + ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns)
            + f" FROM unnest({arrays}) AS v({names}) WHERE t.{quote(pk.column)} = v.{quote(pk.column)}")
