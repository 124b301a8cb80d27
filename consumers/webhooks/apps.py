from django.apps import AppConfig
from django.core import checks


class WebhooksConfig(AppConfig):
    name = "consumers.webhooks"
    label = "webhooks"
    verbose_name = "Delivery webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from anymail.signals import tracking

        from consumers.webhooks import email, network, redaction

        tracking.connect(email.on_tracking, dispatch_uid="chesanto-email-tracking")
        checks.register(network.check_allowed_ips)
        redaction.install()  # URL secrets out of Django's request logs, with or without LOGGING
