from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "consumers.webhooks"
    label = "webhooks"
    verbose_name = "Delivery webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from importlib import import_module

        from consumers.channels import installed
        from consumers.webhooks import redaction

        for app in installed().values():  # the handlers' own SuspiciousOperations, so that their loggers are covered
            if module := app.submodule("webhooks"):
                import_module(module)
        redaction.install()  # URL secrets out of Django's request logs, with or without LOGGING
