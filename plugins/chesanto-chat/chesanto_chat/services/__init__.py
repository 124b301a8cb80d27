"""The chat services, one file each, by the room's service (chesanto_chat.rooms.Service)."""
from chesanto_chat.rooms import Service
from chesanto_chat.services.base import ChatService
from chesanto_chat.services.generic import SignedWebhook
from chesanto_chat.services.google_chat import GoogleChat
from chesanto_chat.services.slack import Slack
from chesanto_chat.services.teams import Teams

SERVICES: dict[Service, ChatService] = {
    Service.SLACK: Slack(),
    Service.TEAMS: Teams(),
    Service.GOOGLE_CHAT: GoogleChat(),
    Service.WEBHOOK: SignedWebhook(),
}
