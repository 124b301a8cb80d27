from consumers.channel_app import ChannelApp


class PushConfig(ChannelApp):
    default = True  # the app of this module (ChannelApp, imported here, is an AppConfig too)
    name = "consumers.push"
    label = "comms_push"
    verbose_name = "Push notifications"
    channel_name = "push"
    channel_class = "consumers.push.channel.PushChannel"
