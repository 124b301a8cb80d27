from django.apps import AppConfig


class ConsumersConfig(AppConfig):
    name = "consumers"
    label = "communications"  # keeps the seed's table names: communications_*
    verbose_name = "Communications"
