"""A log row's life, in one place: opened (and claimed for this process) before its send, its attempt
finished or given back after it, advanced by a provider's callback, reopened by a replay, a dead letter's
re-publication or an operator's decision. Every other module changes a row's status through here.

Opening is one INSERT … ON CONFLICT DO NOTHING RETURNING for the batch, with new rows born claimed
(consumers/claims.py), and only when some rows were there already, one SELECT for them and one UPDATE
that claims those still PENDING. The caller has reserved the rows' keys in this process first
(`ProcessLease.reserve`), so a row it finds claimed by this same process is a leftover of an opening
cut short by the database, never a row another thread is sending: it is claimed again.
Finishing is one UPDATE … FROM unnest(…) of the columns that changed, and only of rows this process
still holds. SQL the ORM would also send, without its per-call overhead (docs/performance-email.md).
A callback's change moves a status only forward (`advance`, below).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DataError, IntegrityError, connections, models, router
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone

from chesanto_comms.numbers import is_whole_number
from consumers.delivery_log import DeliveryLog, DeliveryStatus
from consumers.models import DeliveryProcess


@dataclass(frozen=True)
class Opened:
    """A row as the batch found it: whether this process holds it now, and what came before."""

    entry: DeliveryLog
    held: bool  # claimed by this process: it may send it
    interrupted_by: str = ""  # the process whose attempt it took over, which died during it (held only)


CLAIM = ("claimed", "attempts", "attempted_at", "attempted_by")  # the same for every row a batch opens or ends


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _row_columns(model: type[models.Model]) -> list[models.Field]:
    """The columns whose values differ from row to row of a batch: sent as arrays."""
    return [f for f in _columns(model) if f.name not in CLAIM]


def saved_values(entry: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(entry, f.attname) for f in _columns(type(entry))}


def _key(model: type[DeliveryLog], alias: str) -> str:
    quote = connections[alias].ops.quote_name
    return ", ".join(quote(model._meta.get_field(n).column) for n in ("event_id", "template", model.RECIPIENT_FIELD))


# --- opening -----------------------------------------------------------------------------------
def senders(actors: set[str | None]) -> dict[str, int]:
    """The Django users behind the events' actors, for those that are user ids (one query)."""
    ids = {int(a) for a in actors if a and is_whole_number(a) and len(a) < 19}  # fits a bigint
    if not ids:
        return {}
    return {str(pk): pk for pk in get_user_model().objects.filter(pk__in=ids).values_list("pk", flat=True)}


@lru_cache(maxsize=None)
def _insert_sql(model: type[models.Model], alias: str) -> str:
    """One statement for any number of rows (the columns as arrays, unnested; the claim, the same for all,
    as values), so its text, and psycopg's parse of it, is the same for every batch."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    columns = _row_columns(model)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in columns)
    names = ", ".join(quote(f.column) for f in columns) + ", claimed, attempts, attempted_at, attempted_by"
    return (f"INSERT INTO {quote(model._meta.db_table)} ({names}) "
            f"SELECT u.*, true, 1, %s::timestamptz, %s FROM unnest({arrays}) AS u "
            f"ON CONFLICT ({_key(model, alias)}) DO NOTHING "
            f"RETURNING {quote(model._meta.pk.column)}, {_key(model, alias)}")


@lru_cache(maxsize=None)
def _claim_sql(model: type[models.Model], alias: str) -> str:
    """Claim PENDING rows that nobody holds, that this process holds from an opening cut short, or whose
    holder is gone: stopped, unknown, or — when this process may judge (consumers/claims.py) — not seen
    for its lease. Returns each claimed row's attempt count and time, and the process whose attempt it
    takes over (empty when none was interrupted)."""
    quote = connections[alias].ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    ours = "(before.was_claimed AND before.was_by = %(me)s)"
    return (f"UPDATE {table} AS t SET claimed = true, attempts = t.attempts + CASE WHEN {ours} THEN 0 ELSE 1 END, "
            f"attempted_at = now(), attempted_by = %(me)s "
            f"FROM (SELECT {pk} AS id, claimed AS was_claimed, attempted_by AS was_by FROM {table} "
            f"      WHERE {pk} = ANY(%(ids)s)) AS before "
            f"WHERE t.{pk} = before.id AND t.status = %(pending)s AND (NOT t.claimed OR t.attempted_by = %(me)s "
            f"  OR NOT EXISTS (SELECT 1 FROM {DeliveryProcess._meta.db_table} p WHERE p.token = t.attempted_by "
            f"  AND p.stopped_at IS NULL AND (NOT %(may_judge)s OR p.seen_at > now() - p.lease_seconds * interval '1 second'))) "
            f"RETURNING t.{pk}, t.attempts, t.attempted_at, "
            f"CASE WHEN before.was_claimed AND NOT {ours} THEN before.was_by ELSE '' END")


def open_rows(model: type[DeliveryLog], rows: list[tuple[dict[str, Any], dict[str, Any]]], token: str,
              may_judge: bool) -> list[Opened]:
    """The log rows of a batch of messages, each (key, fields), claimed for the process `token` where
    they can be: new ones are inserted claimed; PENDING ones an earlier delivery left are claimed unless
    another live process holds them; final ones are only read. The keys must be reserved by the caller."""
    alias = router.db_for_write(model)
    connection = connections[alias]
    now = timezone.now()
    claim = {"claimed": True, "attempts": 1, "attempted_at": now, "attempted_by": token}
    entries = [model(**key, **fields, **claim) for key, fields in rows]
    recipient = model.RECIPIENT_FIELD
    arrays = [[f.get_db_prep_save(f.pre_save(e, True), connection) for e in entries] for f in _row_columns(model)]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(model, alias), [now, token, *arrays])
        inserted = {(event_id, template, str(to)): pk for pk, event_id, template, to in cursor.fetchall()}
    opened: list[Opened | None] = []
    for entry in entries:  # recipients compared as text: a column of user ids reads back as numbers
        pk = inserted.get((entry.event_id, entry.template, str(getattr(entry, recipient))))
        if pk is None:
            opened.append(None)
            continue
        entry.pk = pk
        entry._state.adding, entry._state.db = False, alias
        entry._saved_values = saved_values(entry)
        opened.append(Opened(entry, held=True))
    if all(opened):
        return opened
    wanted = models.Q()
    for entry, found in zip(entries, opened):
        if found is None:
            wanted |= models.Q(event_id=entry.event_id, template=entry.template, **{recipient: getattr(entry, recipient)})
    earlier = {(row.event_id, row.template, str(getattr(row, recipient))): row
               for row in model.objects.using(alias).filter(wanted)}
    pending = [row.pk for row in earlier.values() if row.status == DeliveryStatus.PENDING]
    claimed = {}
    if pending:
        with connection.cursor() as cursor:
            cursor.execute(_claim_sql(model, alias), {"me": token, "ids": pending, "may_judge": may_judge,
                                                      "pending": DeliveryStatus.PENDING.value})
            claimed = {pk: rest for pk, *rest in cursor.fetchall()}
    result = []
    for entry, found in zip(entries, opened):
        if found is None:
            row = earlier[(entry.event_id, entry.template, str(getattr(entry, recipient)))]
            held = row.pk in claimed
            if held:
                row.attempts, row.attempted_at, _ = claimed[row.pk]
                row.claimed, row.attempted_by = True, token
            row._saved_values = saved_values(row)
            found = Opened(row, held=held, interrupted_by=claimed[row.pk][2] if held else "")
        result.append(found)
    return result


# --- finishing ---------------------------------------------------------------------------------
def _changed(entry: models.Model) -> list[models.Field]:
    saved = entry.__dict__["_saved_values"]
    for f in _columns(type(entry)):
        if getattr(f, "auto_now", False):
            f.pre_save(entry, False)
    return [f for f in _columns(type(entry)) if getattr(entry, f.attname) != saved[f.attname]]


def finish_rows(entries: list[DeliveryLog], token: str) -> tuple[dict[int, Exception], int]:
    """Write what changed on rows this process holds; return, by position, the rows the database
    refused for their data (each row is then written on its own, so one bad row keeps only itself
    unwritten), and how many rows were no longer held (taken over meanwhile: not overwritten)."""
    try:
        return {}, _update_held(entries, token)
    except (DataError, IntegrityError):
        failed, lost = {}, 0
        for i, entry in enumerate(entries):
            try:
                lost += _update_held([entry], token)
            except (DataError, IntegrityError) as exc:
                failed[i] = exc
        return failed, lost


def _update_held(entries: list[DeliveryLog], token: str) -> int:
    """One UPDATE … FROM unnest(…) of the columns any of the rows changed, ending their claims; the number
    not written because another process holds them now."""
    if not entries:
        return 0
    model = type(entries[0])
    changed = {f for entry in entries for f in _changed(entry)}
    columns = tuple(f for f in _row_columns(model) + [model._meta.get_field("attempts")] if f in changed)
    alias = entries[0]._state.db
    connection = connections[alias]
    arrays = [[entry.pk for entry in entries]]
    arrays += [[f.get_db_prep_save(getattr(entry, f.attname), connection) for entry in entries] for f in columns]
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(model, alias, columns), [*arrays, token])
        written = cursor.rowcount
    for entry in entries:
        entry._saved_values = saved_values(entry)
    return len(entries) - written


@lru_cache(maxsize=256)
def _update_sql(model: type[models.Model], alias: str, columns: tuple[models.Field, ...]) -> str:
    connection = connections[alias]
    quote = connection.ops.quote_name
    pk = model._meta.pk
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in (pk, *columns))
    names = ", ".join(quote(f.column) for f in (pk, *columns))
    return (f"UPDATE {quote(model._meta.db_table)} AS t SET "
            + "".join(f"{quote(f.column)} = v.{quote(f.column)}, " for f in columns) + "claimed = false"
            + f" FROM unnest({arrays}) AS v({names}) WHERE t.{quote(pk.column)} = v.{quote(pk.column)}"
            + " AND t.claimed AND t.attempted_by = %s")


# --- an attempt's outcome, set on the row (the batch writes it with `finish_rows`) ---------------
def finish(entry: DeliveryLog, status: DeliveryStatus, error: str = "", called: bool = False,
           failed: bool = False) -> None:
    """The row's outcome; the claim ends with it. Without a provider call (`called`) the claim's attempt is
    not counted; a provider's refusal (`failed`) counts as a retry, as in the seed's retry_count."""
    entry.status = status
    entry.error_message = error[:4000]
    entry.claimed = False
    if status == DeliveryStatus.SENT:
        entry.delivered_at = timezone.now()  # as in the seed: handed to the provider
    if not called:
        entry.attempts -= 1
    if failed:
        entry.retry_count += 1


def release(entry: DeliveryLog) -> None:
    """Give the row back unsent: PENDING and claimed by nobody, its claim's attempt not counted."""
    entry.claimed = False
    entry.attempts -= 1


# --- a provider's callback ------------------------------------------------------------------------
# Statuses only move forward, and each timestamp is set once, so callbacks arriving late, out of order
# or twice change nothing. A status's rank says how far a message got (each channel's log model declares
# its STATUS_RANK); a callback's status is applied only when it ranks above the row's. Final outcomes
# share the top rank, so the first one reported wins (a "delivered" after "undelivered" is ignored, as is
# a late "sent" after "delivered").
@dataclass(frozen=True)
class Change:
    """What one callback reports about one message."""

    status: DeliveryStatus | str = ""  # the log status it implies; "" = none (an open, a deferral, ...)
    at: datetime | None = None  # when the provider says it happened (None: now)
    error: str = ""  # why, for a failure
    opened_at: datetime | None = None
    clicked_at: datetime | None = None


def callback_changes(entry: DeliveryLog, change: Change) -> dict[str, Any]:
    """The fields `change` would set on the row: empty when it brings nothing new."""
    ranks = type(entry).STATUS_RANK
    # A status this table does not know (added later) is treated as final: never overwritten.
    current = ranks.get(entry.status, max(ranks.values()))
    updates: dict[str, Any] = {}
    if change.status and ranks[change.status] > current:
        updates["status"] = change.status
        if change.status == DeliveryStatus.DELIVERED:
            # Until now delivered_at said when the provider took the message (as in the seed).
            updates["delivered_at"] = change.at or timezone.now()
        if change.error:
            updates["error_message"] = change.error[:4000]
    for name in ("opened_at", "clicked_at"):  # the first open / click, even if reported late
        value, known = getattr(change, name), getattr(entry, name, None)
        if value is not None and (known is None or value < known):
            updates[name] = value
    return updates


def advance(entry: DeliveryLog, change: Change) -> list[str]:
    """Apply a callback's `change` to the row (locked by the caller) and save it; return the fields changed."""
    updates = callback_changes(entry, change)
    for name, value in updates.items():
        setattr(entry, name, value)
    if updates:
        entry.save(update_fields=list(updates))
    return list(updates)


# --- reopening: a final row made PENDING again, for a channel to send it ------------------------------
def reopen(rows: QuerySet, note: str) -> int:
    """Rows a replay sends again (--resend): back to PENDING, noting why; the number reopened."""
    return rows.exclude(status=DeliveryStatus.PENDING).update(status=DeliveryStatus.PENDING, error_message=note)


def note_reopened(rows: QuerySet, note: str) -> None:
    """After the reopened rows' send (which rewrote error_message): put the note back in front."""
    rows.filter(error_message="").update(error_message=note)
    rows.exclude(error_message__startswith=note).update(error_message=Concat(Value(f"{note}; "), F("error_message")))


def reopen_unrendered(rows: QuerySet) -> int:
    """Rows that could not be rendered, back to PENDING (their dead letters are re-published)."""
    return rows.filter(status=DeliveryStatus.RENDER_FAILED).update(status=DeliveryStatus.PENDING)


def decide_held(rows: QuerySet, status: DeliveryStatus, note: str) -> int:
    """An operator's decision on rows held UNKNOWN (consumers/unknown.py): `status`, with who decided in
    `note`; PENDING sends them again, SENT says they arrived. Rows not UNKNOWN are left as they are."""
    changes: dict[str, Any] = {"status": status, "claimed": False, "error_message": note}
    if status == DeliveryStatus.SENT:
        changes["delivered_at"] = timezone.now()
    return rows.filter(status=DeliveryStatus.UNKNOWN).update(**changes)
