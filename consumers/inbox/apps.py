from consumers.channel_app import ChannelApp


class InboxConfig(ChannelApp):
    default = True  # the app of this module (ChannelApp, imported here, is an AppConfig too)
    name = "consumers.inbox"
    label = "comms_inbox"
    verbose_name = "In-app inbox"
    channel_name = "inbox"
    channel_class = "consumers.inbox.channel.InboxChannel"
