"""The push channel's settings: which Firebase project to send through, with which key, how long
an app token lasts and how many devices a user may keep."""
from chesanto_comms.conf import INT, Setting, Settings, at_least
from consumers.channel_settings import delivery_settings

push_settings = Settings(
    "the push channel",
    Setting("PUSH_SERVICE_ACCOUNT", "", "the Firebase service account's key: the path of its JSON file, or the JSON "
            "itself; empty = push off (`consume push` refuses to start)"),
    Setting("PUSH_PROJECT_ID", "", "the Firebase project messages are sent through; empty = the service account's "
            "`project_id`"),
    Setting("PUSH_API_URL", "", "FCM's base URL override (a local test server); empty = https://fcm.googleapis.com"),
    Setting("PUSH_APP_TOKEN_MAX_AGE", 2592000, "seconds an app token (`Authorization: Bearer`, for the device "
            "endpoints) stays valid after it is issued (30 days); a password change ends it sooner", INT, at_least(60)),
    Setting("PUSH_MAX_DEVICES_PER_USER", 10, "most devices a user keeps registered; a registration beyond it drops "
            "that user's devices seen longest ago", INT, at_least(1)),
    *delivery_settings("PUSH", "push", concurrency=16, timeout=10.0,
                       timeout_doc="seconds per FCM call (and per access-token exchange)"),
)
