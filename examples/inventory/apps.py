from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "examples.inventory"
    label = "example_inventory"
    verbose_name = "Example: inventory"
