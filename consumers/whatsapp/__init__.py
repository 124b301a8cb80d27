"""The WhatsApp channel: Meta's WhatsApp Business Platform, Cloud API (docs/whatsapp.md).

Business-initiated messages go as pre-approved templates (`template_config`: name, language and
how event fields fill the parameters, per notification); inside the 24-hour customer-service
window (`window`) a notification that allows it goes as a plain text message instead. `client`
calls the Graph API, `errors` classifies Meta's error codes, `webhooks` takes the signed status
callbacks and the customers' inbound messages that open the window.
"""
