"""The SMS providers' delivery-status callbacks, mounted at /webhooks/ itself (the app's
webhooks_prefix is ""), so their URLs are the ones providers' dashboards already hold:
/webhooks/twilio/status/ and /webhooks/africastalking/delivery/<secret>/ (docs/webhooks.md)."""
from django.urls import path

from consumers.sms.webhooks import africastalking, twilio

urlpatterns = [
    path("twilio/status/", twilio.status_callback, name="twilio_status"),
    # Without the secret segment: refused and counted as unsigned, not a bare 404.
    path(africastalking.ROUTE, africastalking.delivery_report, name="africastalking_delivery_unsigned"),
    path(f"{africastalking.ROUTE}<str:secret>/", africastalking.delivery_report, name="africastalking_delivery"),
]
