"""Building the Cloud API's JSON for a template or a text message, and what the log keeps of it."""
from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from consumers.whatsapp.compose import MessageKind, template_message, text_message
from consumers.whatsapp.notifications import WHATSAPP
from consumers.whatsapp.template_config import ButtonParameter, TemplateConfig
from tests.unit.consumers.whatsapp.conftest import event

PHONE = "+254712345678"


def notification(event_type: str):
    (found,) = WHATSAPP[event_type]
    return found


def as_template(event_type: str, config: TemplateConfig | None = None, **changes):
    n = notification(event_type)
    return template_message(config or n.options["template"], n, event(event_type, **changes).data, PHONE)


def test_the_otp_goes_as_an_authentication_template_with_the_code_in_body_and_copy_code_button():
    message = as_template("auth.otp_requested")
    assert message.kind is MessageKind.TEMPLATE
    assert message.payload == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "254712345678", "type": "template",
        "template": {"name": "chesanto_login_code", "language": {"code": "en"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "482913"}]},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "482913"}]},
        ]},
    }
    assert message.logged_text == "template chesanto_login_code (en): {{1}}=******; button 0=******"


def test_order_confirmation_fills_its_four_body_parameters_from_the_event():
    message = as_template("sales.order_confirmed")
    (body,) = message.payload["template"]["components"]
    assert [p["text"] for p in body["parameters"]] == ["Mama Njeri Shop", "ORD-2026-00417", "KES 3,050.00", "23 Nov 2026"]
    assert message.logged_text == ("template chesanto_order_confirmation (en): {{1}}=Mama Njeri Shop; "
                                   "{{2}}=ORD-2026-00417; {{3}}=KES 3,050.00; {{4}}=23 Nov 2026")


def test_optional_fields_never_leave_a_parameter_empty():
    order = as_template("sales.order_confirmed", customer_name="", delivery_date=None)
    assert [p["text"] for p in order.payload["template"]["components"][0]["parameters"]] == [
        "there", "ORD-2026-00417", "KES 3,050.00", "a date we will confirm"]
    receipt = as_template("sales.payment_received", reference="")
    assert [p["text"] for p in receipt.payload["template"]["components"][0]["parameters"]] == [
        "Mama Njeri Shop", "KES 3,050.00", "M-Pesa", "none", "RCT-2026-1534"]
    delivery = as_template("dispatch.delivery_assigned", driver_name="", vehicle="")
    assert delivery.payload["template"]["components"][0]["parameters"][2]["text"] == "our driver"
    assert as_template("dispatch.delivery_assigned").payload["template"]["components"][0]["parameters"][2]["text"] \
        == "Baraka Mwangi (KDA 123B)"


def test_parameters_lose_newlines_and_runs_of_spaces_which_meta_refuses():
    config = TemplateConfig("t", "en", "UTILITY", body=("{{ eta }}",))
    message = as_template("dispatch.delivery_assigned", config, eta="today\n  2-3 pm\t ")
    assert message.payload["template"]["components"][0]["parameters"] == [{"type": "text", "text": "today 2-3 pm"}]


def test_an_empty_parameter_or_an_unknown_field_cannot_be_built():
    empty = TemplateConfig("t", "en", "UTILITY", body=("{{ vehicle }}",))
    with pytest.raises(ValueError, match=r"body parameter \{\{1\}\} of t \(en\).*empty"):
        as_template("dispatch.delivery_assigned", empty, vehicle="")
    with pytest.raises(UndefinedError):
        as_template("dispatch.delivery_assigned", TemplateConfig("t", "en", "UTILITY", body=("{{ colour }}",)))


def test_an_otp_longer_than_meta_allows_cannot_reach_the_channel():
    # Meta takes codes of at most 15 characters; the event schema's 4-12 keeps every code within that.
    with pytest.raises(ValueError, match="4 to 12 characters"):
        as_template("auth.otp_requested", code="1234567890123456")


def test_quick_reply_buttons_carry_a_payload():
    config = TemplateConfig("t", "en", "MARKETING", body=("{{ order_id }}",),
                            buttons=(ButtonParameter(1, "quick_reply", "stop-{{ order_id }}"),))
    components = as_template("dispatch.delivery_assigned", config).payload["template"]["components"]
    assert components[1] == {"type": "button", "sub_type": "quick_reply", "index": "1",
                             "parameters": [{"type": "payload", "payload": "stop-ORD-2026-00417"}]}


def test_a_text_message_carries_the_rendered_text_and_its_template_as_fallback():
    n = notification("dispatch.delivery_assigned")
    data = event("dispatch.delivery_assigned").data
    fallback = template_message(n.options["template"], n, data, PHONE)
    message = text_message(n, data, PHONE, fallback=fallback)
    text = ("Your order ORD-2026-00417 is on its way. Expected: today 2-3 pm. Driver: Baraka Mwangi (KDA 123B). "
            "Reply here if you need us.")
    assert message.kind is MessageKind.TEXT and message.fallback is fallback
    assert message.payload == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "254712345678",
                               "type": "text", "text": {"preview_url": False, "body": text}}
    assert message.logged_text == text and message.template.name == "chesanto_delivery_update"


def test_the_order_text_lists_the_lines():
    n = notification("sales.order_confirmed")
    data = event("sales.order_confirmed").data
    text = text_message(n, data, PHONE, fallback=template_message(n.options["template"], n, data, PHONE))
    assert "• 2.5 × Queen cakes (dozen)" in text.payload["text"]["body"]
