from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_templates(sender, **kwargs):
    from consumers.template_catalog import sync_message_templates

    sync_message_templates()


class ConsumersConfig(AppConfig):
    name = "consumers"
    label = "communications"  # keeps the seed's table names: communications_*
    verbose_name = "Communications"

    def ready(self):
        post_migrate.connect(_sync_templates, sender=self)
        from outbox.timeline import register_timeline_source

        from consumers.timeline import delivery_rows

        register_timeline_source(delivery_rows)
