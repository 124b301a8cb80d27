from consumers.channel_app import ChannelApp


class ChatConfig(ChannelApp):
    # Without it Django would find two AppConfigs in this module (ChannelApp, imported, is one too) and
    # silently use a plain AppConfig: the app would install but be no channel.
    default = True
    name = "chesanto_chat"
    label = "chesanto_chat"
    verbose_name = "Team chat"
    channel_name = "chat"
    channel_class = "chesanto_chat.channel.ChatChannel"
