"""A team-chat channel for Chesanto Communications, shipped as its own package: staff events (low
stock, the production schedule, security alerts) posted to Slack, Microsoft Teams and Google Chat
rooms through their incoming webhooks, or to any system as a signed JSON webhook.

A host adds "chesanto_chat" to INSTALLED_APPS, sets CHAT_ROOMS (and CHAT_ROUTES), migrates and runs
`manage.py consume chat`.
"""
