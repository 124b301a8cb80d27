from django.apps import AppConfig


class SalesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "examples.sales"
    label = "example_sales"
    verbose_name = "Example: sales"
