from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "examples.sales"
    label = "example_sales"
    verbose_name = "Example: sales"
