"""A channel is a Django app: its AppConfig subclasses ChannelApp and names its channel.

The registry (consumers/channels.py) is every installed ChannelApp, in INSTALLED_APPS order; a host
leaves a channel out by leaving out its app. What a channel app may bring, each found through the app:

    models.py, migrations/, admin.py     ordinary Django: its delivery log (a DeliveryLog) and its own tables
    settings.py                         its declared settings (chesanto_comms.conf.Settings)
    message_templates/                  its Jinja2 templates; COMMS_TEMPLATE_DIRS overrides any of them
    urls.py (urlpatterns)               its own endpoints, mounted at comms/<channel_name>/ (consumers/urls.py)
    webhooks.py or webhooks/ (urlpatterns)
                                        its providers' callbacks, mounted at webhooks/<webhooks_prefix>
                                        (consumers/webhooks/urls.py)
"""
from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

from django.apps import AppConfig


class ChannelApp(AppConfig):
    """Subclass it in the channel's apps.py with `default = True` (Django picks the one AppConfig of an
    apps.py that says so; this base, imported there, is an AppConfig too), `name`, `label`,
    `channel_name` and `channel_class`."""

    channel_name: str  # "email": what `manage.py consume` takes; its consumer group and retry topic carry it
    channel_class: str  # the Channel subclass, dotted: "consumers.email.channel.EmailChannel"
    webhooks_prefix: str | None = None  # where its callbacks mount under webhooks/; None: "<channel_name>/"
    secret_routes: tuple[str, ...] = ()  # callback routes whose next path segment is a secret, masked in logs
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """A subclass that has its own ready() calls this one too."""
        from django.core import checks

        checks.register(check_engine_installed)  # once, however many channel apps register it

    def load_channel_class(self) -> type:
        module_path, _, class_name = self.channel_class.rpartition(".")
        return getattr(import_module(module_path), class_name)

    def submodule(self, name: str) -> str | None:
        """`<package>.<name>` when the app has such a module (`urls`, `webhooks`), else None."""
        dotted = f"{self.name}.{name}"
        return dotted if find_spec(dotted) is not None else None

    @property
    def templates_dir(self) -> Path | None:
        found = Path(self.path) / "message_templates"
        return found if found.is_dir() else None

    @property
    def webhooks_route(self) -> str:
        return f"{self.channel_name}/" if self.webhooks_prefix is None else self.webhooks_prefix


def check_engine_installed(app_configs=None, **kwargs) -> list:
    """A channel runs on the engine: `consumers` (loop, log rows, templates) and `consumers.webhooks`."""
    from django.apps import apps
    from django.core import checks

    return [
        checks.Error(f"{app.name!r} is in INSTALLED_APPS without {needed!r}", id="chesanto.E002",
                     hint=f"Add {needed!r} to INSTALLED_APPS (README, 'Add to an existing Django project').")
        for app in apps.get_app_configs() if isinstance(app, ChannelApp)
        for needed in ("consumers", "consumers.webhooks") if not apps.is_installed(needed)
    ]
