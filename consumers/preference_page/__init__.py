"""The recipient's own preference page: from a signed link in a message (no login), or signed in from the inbox."""
