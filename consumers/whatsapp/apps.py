from consumers.channel_app import ChannelApp


class WhatsAppConfig(ChannelApp):
    default = True  # the app of this module (ChannelApp, imported here, is an AppConfig too)
    name = "consumers.whatsapp"
    label = "comms_whatsapp"
    verbose_name = "WhatsApp"
    channel_name = "whatsapp"
    channel_class = "consumers.whatsapp.channel.WhatsAppChannel"
