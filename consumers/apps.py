from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _deliver_eagerly(event) -> None:
    from consumers.eager import deliver

    deliver(event)


def _sync_templates(sender, **kwargs):
    from consumers.template_catalog import sync_message_templates

    sync_message_templates()


class ConsumersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "consumers"
    label = "communications"  # keeps the seed's table names: communications_*
    verbose_name = "Communications"

    def ready(self):
        from django.core import checks

        from consumers.checks import (
            check_channel_apps,
            check_channel_settings,
            check_quiet_hours_channels,
            check_some_channel_installed,
            check_template_shadowing,
            check_templates,
            check_translations,
        )
        from outbox.emitter import set_eager_delivery

        post_migrate.connect(_sync_templates, sender=self)
        checks.register(check_templates)
        checks.register(check_channel_settings)
        checks.register(check_some_channel_installed)
        checks.register(check_channel_apps)
        checks.register(check_template_shadowing)
        checks.register(check_translations)
        checks.register(check_quiet_hours_channels)
        set_eager_delivery(_deliver_eagerly)
        from consumers.timeline import delivery_rows
        from outbox.timeline import register_timeline_source

        register_timeline_source(delivery_rows)
