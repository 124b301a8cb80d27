from consumers.channel_app import ChannelApp


class EmailConfig(ChannelApp):
    default = True  # the app of this module (ChannelApp, imported here, is an AppConfig too)
    name = "consumers.email"
    label = "comms_email"
    verbose_name = "Email"
    channel_name = "email"
    channel_class = "consumers.email.channel.EmailChannel"
    webhooks_prefix = ""  # anymail's tracking URLs, /webhooks/anymail/<esp>/tracking/, as providers know them

    def ready(self):
        super().ready()
        from anymail.signals import tracking

        from consumers.email.webhooks import on_tracking

        tracking.connect(on_tracking, dispatch_uid="chesanto-email-tracking")
