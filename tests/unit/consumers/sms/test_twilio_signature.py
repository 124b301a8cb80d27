"""The X-Twilio-Signature algorithm, pinned to the vector in Twilio's own helper-library tests."""
from django.http import QueryDict

from consumers.sms.webhooks.twilio import parameters, signature, url_variants

URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
FORM = "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212"


def test_twilios_published_vector():
    assert signature("12345", URL, parameters(QueryDict(FORM))) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_parameter_order_does_not_matter_but_values_do():
    reordered = "&".join(reversed(FORM.split("&")))
    assert signature("12345", URL, parameters(QueryDict(reordered))) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert signature("12345", URL, parameters(QueryDict(FORM.replace("Digits=1234", "Digits=1235")))) != "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_a_repeated_parameter_is_signed_value_by_value_in_order():
    assert parameters(QueryDict("b=2&a=z&a=y&a=y")) == [("a", "y"), ("a", "z"), ("b", "2")]


def test_url_variants_with_and_without_the_default_port():
    assert url_variants("https://comms.example/webhooks/twilio/status/") == [
        "https://comms.example/webhooks/twilio/status/", "https://comms.example:443/webhooks/twilio/status/"]
    assert url_variants("http://comms.example:8000/x/?a=1") == ["http://comms.example:8000/x/?a=1", "http://comms.example/x/?a=1"]
