"""Writing a message's log row: one INSERT … ON CONFLICT DO NOTHING RETURNING for a new row and
one UPDATE of the changed columns to finish it — SQL the ORM would also send, without its
per-call overhead (measured in docs/performance-email.md): get_or_create took a SELECT then
BEGIN/INSERT/COMMIT, and save() rewrote every column."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections, models, router


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
