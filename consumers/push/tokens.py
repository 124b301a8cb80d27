"""How a device token appears in log lines: its first few characters and an ellipsis.

An FCM registration token names one install of the app on one person's phone; log lines travel
further than the database (log shippers, support tickets), so they carry only enough of a token
to tell two apart. The whole token is in the device table and the log row, where access is the
admin's.
"""
KEEP = 8  # characters shown; an FCM token has about 160


def masked(token: str) -> str:
    """`token` as a log line shows it; a short token (a test's) shows at most half of itself."""
    return f"{token[:min(KEEP, len(token) // 2)]}…"
