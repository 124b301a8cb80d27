"""Local HTTP servers that speak the SMS providers' APIs, for tests and the demo.

    with AfricasTalkingServer() as server:        # or TwilioServer()
        ...  # SMS_PROVIDER=africastalking, SMS_API_URL=server.url, SMS_API_KEY=server.api_key, SMS_USERNAME=server.username
        server.wait_for(lambda requests: len(requests) == 1)
"""
from chesanto_comms.embedded.provider_api import Outcome, ProviderApiServer, RecordedRequest
from chesanto_comms.embedded.sms.africastalking import AfricasTalkingServer
from chesanto_comms.embedded.sms.twilio import TwilioServer

__all__ = ["AfricasTalkingServer", "Outcome", "RecordedRequest", "ProviderApiServer", "TwilioServer"]
