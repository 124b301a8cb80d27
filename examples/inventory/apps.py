from django.apps import AppConfig


class InventoryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "examples.inventory"
    label = "example_inventory"
    verbose_name = "Example: inventory"
