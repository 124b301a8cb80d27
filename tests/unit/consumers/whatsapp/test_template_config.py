"""Each notification's template: declared in code, overridden by WHATSAPP_TEMPLATES, refused when incomplete."""
from __future__ import annotations

import re

import pytest

from chesanto_comms.conf import SettingError, reset_cache
from consumers.whatsapp.notifications import WHATSAPP, by_name, check_overrides
from consumers.whatsapp.settings import whatsapp_settings
from consumers.whatsapp.template_config import (
    ButtonParameter,
    TemplateConfig,
    TemplateConfigError,
    build,
    resolve,
)

ORDER = "whatsapp_sales_order_confirmation"


def test_the_four_notifications_have_complete_templates():
    assert sorted(WHATSAPP) == ["auth.otp_requested", "dispatch.delivery_assigned", "sales.order_confirmed",
                                "sales.payment_received"]
    configs = {name: resolve(n, {}) for name, n in by_name().items()}
    assert {name: (c.name, c.category) for name, c in configs.items()} == {
        "whatsapp_auth_otp": ("chesanto_login_code", "AUTHENTICATION"),
        ORDER: ("chesanto_order_confirmation", "UTILITY"),
        "whatsapp_sales_payment_receipt": ("chesanto_payment_receipt", "UTILITY"),
        "whatsapp_dispatch_delivery": ("chesanto_delivery_update", "UTILITY"),
    }


def test_an_override_replaces_only_the_keys_it_names():
    config = resolve(by_name()[ORDER], {ORDER: {"language": "sw", "body": ["{{ order_id }}"]}})
    assert (config.name, config.language, config.body) == ("chesanto_order_confirmation", "sw", ("{{ order_id }}",))
    buttons = build(ORDER, config, {"buttons": [{"index": 0, "sub_type": "url", "value": "{{ order_id }}"}]}).buttons
    assert buttons == (ButtonParameter(0, "url", "{{ order_id }}"),)


@pytest.mark.parametrize("override, problem", [
    ({"name": ""}, "no template name"),
    ({"language": " "}, "no language code"),
    ({"category": "PROMOTION"}, "category 'PROMOTION' is not one of"),
    ({"body": "{{ order_id }}"}, "'body' must be a list"),
    ({"body": ["{{ order_id }}", " "]}, "an empty parameter expression"),
    ({"body": ["{{ order_id "]}, "parameter '{{ order_id ' is not a Jinja2 expression"),
    ({"buttons": [{"index": 0, "sub_type": "call"}]}, "a button is"),
    ({"buttons": [{"index": 12, "sub_type": "url", "value": "x"}]}, "button index 12 is not 0-9"),
    ({"approved": True}, "unknown keys ['approved']"),
])
def test_an_incomplete_override_names_the_notification_and_the_problem(override, problem):
    with pytest.raises(TemplateConfigError, match=re.escape(f"WhatsApp template of {ORDER}: {problem}")):
        resolve(by_name()[ORDER], {ORDER: override})


def test_an_authentication_template_must_take_the_code_in_body_and_button():
    otp = by_name()["whatsapp_auth_otp"]
    with pytest.raises(TemplateConfigError, match="takes the code twice"):
        resolve(otp, {"whatsapp_auth_otp": {"buttons": []}})
    with pytest.raises(TemplateConfigError, match="takes the code twice"):
        build("x", TemplateConfig("t", "en", "AUTHENTICATION", body=("{{ code }}", "{{ name }}"),
                                  buttons=(ButtonParameter(0, "url", "{{ code }}"),)), {})


def test_overrides_must_name_a_whatsapp_notification():
    with pytest.raises(TemplateConfigError, match="'sms_auth_otp', which is no WhatsApp notification"):
        check_overrides({"sms_auth_otp": {"name": "x"}})


def test_the_setting_takes_json_text_or_a_dict_and_check_names_a_bad_one(settings, monkeypatch):
    monkeypatch.setenv("WHATSAPP_TEMPLATES", '{"whatsapp_sales_order_confirmation": {"language": "sw"}}')
    assert whatsapp_settings.WHATSAPP_TEMPLATES == {ORDER: {"language": "sw"}}
    monkeypatch.setenv("WHATSAPP_TEMPLATES", "[1, 2]")
    reset_cache()  # resolved settings are cached; a changed environment is read again after this
    with pytest.raises(SettingError, match="must be a JSON object"):
        whatsapp_settings.WHATSAPP_TEMPLATES  # noqa: B018
    settings.WHATSAPP_TEMPLATES = {ORDER: {"name": ""}}
    with pytest.raises(SettingError, match=f"WHATSAPP_TEMPLATES=.*{ORDER}: no template name"):
        whatsapp_settings.WHATSAPP_TEMPLATES  # noqa: B018
