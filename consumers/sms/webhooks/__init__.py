"""The SMS providers' delivery-status callbacks, mounted at /webhooks/ itself (the app's
webhooks_prefix is ""), so their URLs are the ones providers' dashboards already hold:
/webhooks/twilio/status/ and /webhooks/africastalking/delivery/<secret>/ (docs/webhooks.md); and the
recipients' opt-outs: /webhooks/twilio/inbound/ and /webhooks/africastalking/opt-out/<secret>/ (docs/recipients.md)."""
from django.urls import path

from consumers.sms.webhooks import africastalking, twilio

urlpatterns = [
    path("twilio/status/", twilio.status_callback, name="twilio_status"),
    # Without the secret segment: refused and counted as unsigned, not a bare 404.
    path(africastalking.ROUTE, africastalking.delivery_report, name="africastalking_delivery_unsigned"),
    path(f"{africastalking.ROUTE}<str:secret>/", africastalking.delivery_report, name="africastalking_delivery"),
    path("twilio/inbound/", twilio.inbound_message, name="twilio_inbound"),
    path(africastalking.OPT_OUT_ROUTE, africastalking.opt_out, name="africastalking_opt_out_unsigned"),
    path(f"{africastalking.OPT_OUT_ROUTE}<str:secret>/", africastalking.opt_out, name="africastalking_opt_out"),
]
