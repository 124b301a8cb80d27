from consumers.channel_app import ChannelApp


class SMSConfig(ChannelApp):
    default = True  # the app of this module (ChannelApp, imported here, is an AppConfig too)
    name = "consumers.sms"
    label = "comms_sms"
    verbose_name = "SMS"
    channel_name = "sms"
    channel_class = "consumers.sms.channel.SMSChannel"
    webhooks_prefix = ""  # /webhooks/twilio/status/ and /webhooks/africastalking/delivery/<secret>/, as providers know them
    secret_routes = ("africastalking/delivery/", "africastalking/opt-out/")

    def ready(self):
        super().ready()
        from django.core import checks

        from consumers.sms.checks import check_allowed_ips

        checks.register(check_allowed_ips)
