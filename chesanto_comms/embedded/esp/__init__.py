"""Local servers that answer as email service providers' APIs do, for the ESP path (django-anymail)."""
from chesanto_comms.embedded.esp.postmark import PostmarkServer

__all__ = ["PostmarkServer"]
