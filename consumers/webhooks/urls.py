"""Delivery-status callbacks, mounted under /webhooks/ (docs/webhooks.md lists what to give each provider).

A channel whose package has a `webhooks` module (with `urlpatterns`) gets them under /webhooks/<channel>/.
"""
from django.urls import include, path

from consumers.channels import channel_modules
from consumers.webhooks import africastalking, email, twilio

app_name = "webhooks"
urlpatterns = [
    path("anymail/", include((email.urlpatterns, "anymail"))),  # /webhooks/anymail/<esp>/tracking/
    path("twilio/status/", twilio.status_callback, name="twilio_status"),
    # Without the secret segment: refused and counted as unsigned, not a bare 404.
    path(africastalking.ROUTE, africastalking.delivery_report, name="africastalking_delivery_unsigned"),
    path(f"{africastalking.ROUTE}<str:secret>/", africastalking.delivery_report, name="africastalking_delivery"),
]
urlpatterns += [path(f"{name}/", include(module)) for name, module in channel_modules("webhooks").items()]
