"""Which channel app each channel model of this app's migrations 0001–0009 moved to in 0010.
(A module whose name starts with "_" is not a migration.)"""

CHANNEL_TABLES = {
    "emaillog": "consumers.email",
    "smslog": "consumers.sms",
    "whatsappcontact": "consumers.whatsapp",
    "whatsapplog": "consumers.whatsapp",
    "inboxitem": "consumers.inbox",
    "pushdevice": "consumers.push",
    "pushlog": "consumers.push",
}
