"""Migration operations that let each channel's tables belong to the channel's own app.

Up to 0009 the `communications` app created every channel's tables; since 0010 each channel app
(consumers/channel_app.py) owns its models. Two operations make that move safe both ways:

- `WhereInstalled(app, operation)` wraps a historical operation on a channel's table in the
  communications app's old migrations: its state always applies (the history stays whole), its SQL
  only when the channel's app is installed, so a fresh project without WhatsApp gets no WhatsApp tables.
- `CreateModelUnlessTableExists(CreateModel(...))` is a channel app's first migration: the model enters
  the app's state; its table is created only when it does not exist yet (a project that installs the
  channel later). On an upgrade the old migrations already made it, rows and all: nothing is touched.
  Unapplied, it leaves the table alone.
- `move_content_types(from_label, to_label, models)` keeps the admin permissions staff were given on the
  moved models (they hang on the content type, which names the app).
"""
from __future__ import annotations

from django.apps import apps as installed_apps
from django.db import migrations
from django.db.migrations.operations.base import Operation


class WhereInstalled(Operation):
    reduces_to_sql = False

    def __init__(self, app: str, operation: Operation):
        self.app = app
        self.operation = operation
        self.reversible = operation.reversible

    def deconstruct(self):
        return self.__class__.__qualname__, [self.app, self.operation], {}

    def state_forwards(self, app_label, state):
        self.operation.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if installed_apps.is_installed(self.app):
            self.operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if installed_apps.is_installed(self.app):
            self.operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"{self.operation.describe()} (tables only where {self.app} is installed)"


def where_installed(tables_by_model: dict[str, str], operations: list[Operation]) -> list[Operation]:
    """`operations` with each one on a model of `tables_by_model` (lower-case model name → channel app)
    wrapped in WhereInstalled."""
    wrapped = []
    for operation in operations:
        model = (getattr(operation, "model_name", None) or getattr(operation, "name", "")).lower()
        app = tables_by_model.get(model)
        wrapped.append(WhereInstalled(app, operation) if app else operation)
    return wrapped


class CreateModelUnlessTableExists(Operation):
    reduces_to_sql = False
    reversible = True  # in the state only: the table may hold rows written before the move, and keeps them

    def __init__(self, create: migrations.CreateModel):
        self.create = create

    def deconstruct(self):
        return self.__class__.__qualname__, [self.create], {}

    def state_forwards(self, app_label, state):
        self.create.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.create.name)
        if model._meta.db_table not in schema_editor.connection.introspection.table_names():
            schema_editor.create_model(model)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass  # unapplied, the model goes back to the communications app's state (its 0010); the table stays

    def describe(self):
        return f"Create model {self.create.name} (unless its table exists)"


def move_content_types(from_label: str, to_label: str, models: list[str]) -> migrations.RunPython:
    def forwards(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for model in models:
            if not ContentType.objects.filter(app_label=to_label, model=model).exists():
                ContentType.objects.filter(app_label=from_label, model=model).update(app_label=to_label)

    return migrations.RunPython(forwards, migrations.RunPython.noop)
