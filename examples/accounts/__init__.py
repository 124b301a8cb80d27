"""Example module: inviting users and sending them login codes (events auth.user_invited, auth.otp_requested)."""
