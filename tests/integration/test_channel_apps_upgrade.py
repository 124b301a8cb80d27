"""An installation of the release before channels became apps upgrades without losing a row.

The database is taken back to that release's schema (communications 0009: every channel's table in
the communications app), every channel's table is filled through that release's models, a staff
member is given a permission on a log under its old content type, and the database is migrated to
the new layout. Every row of every table reads the same afterwards, the tables are the seed's, and the
permission still works under the channel app's label.
"""
from __future__ import annotations

import datetime
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BEFORE_THE_MOVE = ("communications", "0009_delivery_attempts_and_claims")
MOVED = {  # model (as the release before named it, in the communications app) → its channel app's label now
    "EmailLog": "comms_email",
    "SMSLog": "comms_sms",
    "WhatsAppContact": "comms_whatsapp",
    "WhatsAppLog": "comms_whatsapp",
    "InboxItem": "comms_inbox",
    "PushDevice": "comms_push",
    "PushLog": "comms_push",
}
ROWS_PER_TABLE = 3


def value_for(field: models.Field, n: int, user):
    """A distinct, valid value for a column the row must have."""
    if isinstance(field, models.ForeignKey):
        return user
    if isinstance(field, models.EmailField):
        return f"customer{n}@example.com"
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.DateTimeField):
        return datetime.datetime(2026, 11, 30, 8, n, tzinfo=datetime.timezone.utc)
    if isinstance(field, (models.IntegerField, models.BigIntegerField)):
        return n
    if isinstance(field, models.BooleanField):
        return bool(n % 2)
    if isinstance(field, models.JSONField):
        return {"n": n}
    if isinstance(field, (models.CharField, models.TextField)):
        choices = [value for value, _ in field.choices] if field.choices else None
        text = choices[n % len(choices)] if choices else f"+25471100{n:04d}"
        return text[: field.max_length] if field.max_length else text
    raise AssertionError(f"no sample value for {field!r}: extend value_for")


def fill(model, user) -> None:
    for n in range(ROWS_PER_TABLE):
        values = {}
        for field in model._meta.concrete_fields:
            if field.primary_key:
                continue
            if field.has_default() and not field.unique and not isinstance(field, models.UUIDField):
                continue
            if field.null and not isinstance(field, models.ForeignKey):
                continue
            values[field.name] = value_for(field, n, user)
        model.objects.create(**values)


def table_rows(table: str, columns: list[str] | None = None) -> tuple[list[str], list[tuple]]:
    """The table's columns and rows; with `columns`, only those (later migrations add columns of their own)."""
    with connection.cursor() as cursor:
        listed = ", ".join(f'"{name}"' for name in columns) if columns else "*"
        cursor.execute(f'SELECT {listed} FROM "{table}" ORDER BY id')
        return [column.name for column in cursor.description], cursor.fetchall()


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def test_every_row_of_every_channel_table_survives_the_move_to_channel_apps():
    executor = migrate([BEFORE_THE_MOVE])
    old = executor.loader.project_state([BEFORE_THE_MOVE]).apps
    user = old.get_model("auth", "User").objects.create(username="kamau", email="kamau@example.com")
    old_models = {name: old.get_model("communications", name) for name in MOVED}
    for model in old_models.values():
        fill(model, user)
    tables = {name: model._meta.db_table for name, model in old_models.items()}
    before = {table: table_rows(table) for table in tables.values()}
    assert all(len(rows) == ROWS_PER_TABLE for _, rows in before.values()), before

    # A staff member may view email logs under the content type the release before had (communications.emaillog).
    ContentType.objects.filter(model__in=[name.lower() for name in MOVED]).delete()
    old_type = ContentType.objects.create(app_label="communications", model="emaillog")
    view = Permission.objects.create(content_type=old_type, codename="view_emaillog", name="Can view email log")
    staff = get_user_model().objects.create_user("operator", is_staff=True)
    staff.user_permissions.add(view)

    executor = migrate(executor.loader.graph.leaf_nodes())

    assert {table: table_rows(table, columns) for table, (columns, _) in before.items()} == before
    assert tables["EmailLog"] == "communications_email_log" and tables["SMSLog"] == "communications_sms_log"
    new = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps
    for name, label in MOVED.items():
        assert new.get_model(label, name)._meta.db_table == tables[name]
        assert not any(m.__name__ == name for m in new.get_app_config("communications").get_models())
    staff = get_user_model().objects.get(pk=staff.pk)
    assert staff.has_perm("comms_email.view_emaillog")
    assert ContentType.objects.get(pk=old_type.pk).app_label == "comms_email"


def test_the_move_is_unapplied_without_touching_a_table():
    migrate([BEFORE_THE_MOVE])
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert {"communications_email_log", "communications_push_device", "communications_inbox_item"} <= set(tables)
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    fresh = MigrationExecutor(connection)
    assert not fresh.migration_plan(fresh.loader.graph.leaf_nodes())
