"""English and Swahili (consumers/languages.py): every message to a customer renders in Swahili from its
sample, on every channel that sends it; the language's order of choice; a missing translation falls
back to English and `check` names it; dates and money for the locale."""
from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timezone

import pytest

from chesanto_comms.conf import SettingError, comms
from consumers import languages
from consumers.channels import get_channel, installed
from consumers.checks import check_translations
from consumers.consent import Facts
from consumers.delivery import LoggedChannel
from consumers.filters import day, money, when
from consumers.languages import Language, choose, customer_facing
from consumers.models import RecipientProfile
from consumers.notifications import Notification, recipients_from
from consumers.sms.compose import render_sms
from consumers.sms.encoding import GSM7
from consumers.sms.settings import sms_settings
from consumers.template_preview import Preview
from outbox import InvalidEventData
from outbox.events import get_event_type
from outbox.events.samples import sample

CUSTOMER_EVENTS = ("auth.otp_requested", "sales.order_confirmed", "sales.invoice_issued", "sales.payment_received",
                   "dispatch.delivery_assigned")
SWAHILI_WORDS = ("Habari", "Asante", "Nambari", "Oda", "Ankara", "Tumepokea", "nambari", "iko njiani")


def parse(event_type: str, **changes):
    return get_event_type(event_type).parse({**sample(event_type), **changes})


def customer_messages() -> list[tuple[str, str, Notification]]:
    return [(name, event_type, notification)
            for name in installed() if isinstance(channel := get_channel(name), LoggedChannel)
            for event_type, notifications in channel.notifications.items() if customer_facing(get_event_type(event_type))
            for notification in notifications if notification.customer]


CASES = customer_messages()


def test_the_customer_facing_events_are_the_ones_with_a_language():
    assert {event_type for _, event_type, _ in CASES} == set(CUSTOMER_EVENTS)
    assert {n.name for *_, n in CASES} == {
        "auth_otp", "sales_order_confirmation", "sales_invoice", "sales_payment_receipt",
        "sms_auth_otp", "sms_sales_payment_receipt", "sms_dispatch_delivery",
        "whatsapp_auth_otp", "whatsapp_sales_order_confirmation", "whatsapp_sales_payment_receipt",
        "whatsapp_dispatch_delivery", "inbox_sales_invoice"}


@pytest.mark.parametrize("channel, event_type, notification", CASES, ids=[n.name for *_, n in CASES])
def test_every_customer_message_renders_in_swahili_from_its_sample(channel, event_type, notification, caplog):
    with caplog.at_level(logging.WARNING, logger="consumers.languages"):
        english: Preview = get_channel(channel).preview(notification, parse(event_type, language="en"))
        swahili: Preview = get_channel(channel).preview(notification, parse(event_type, language="sw"))
    assert not english.error and not swahili.error, swahili.error or english.error
    assert not caplog.records, "a part has no Swahili translation: it fell back to English"
    assert swahili.text != english.text and swahili.subject != english.subject or not english.subject
    shown = swahili.subject + swahili.text
    assert any(word in shown for word in SWAHILI_WORDS), shown
    if swahili.html:
        assert '<html lang="sw"' in swahili.html and "Huu ni ujumbe wa kiotomatiki" in swahili.html
        assert "This is an automated message" not in swahili.html + swahili.text


@pytest.mark.parametrize("notification", [n for channel, _, n in CASES if channel == "sms"], ids=lambda n: n.name)
def test_a_swahili_sms_is_gsm7_within_the_segment_limit(notification):
    event_type = next(t for _, t, n in CASES if n is notification)
    sms = render_sms(notification, parse(event_type), Language.SW)
    assert sms.language is Language.SW and sms.text.startswith("Chesanto: ")
    assert sms.encoding.encoding == GSM7, sms.text
    assert sms.encoding.segments <= sms_settings.SMS_MAX_SEGMENTS


def test_what_the_swahili_messages_say():
    from consumers.email.compose import render_email
    from consumers.email.notifications import EMAILS

    email = render_email(EMAILS["sales.invoice_issued"][0], parse("sales.invoice_issued"), "a@x.test", language=Language.SW)
    assert email.subject == "Ankara INV-2026-0981 - Chesanto Bakery"
    assert "Kiasi kinachodaiwa: KES 12,480.00" in email.text and "Mwisho wa kulipa:   5 Desemba 2026" in email.text
    from consumers.sms.notifications import SMS

    otp = render_sms(SMS["auth.otp_requested"][0], parse("auth.otp_requested"), Language.SW)
    assert otp.text == ("Chesanto: Nambari yako ya kuthibitisha kuingia ni 482913. Itaisha muda wake baada ya dakika 10. "
                        "Usimpe mtu yeyote.")
    assert otp.logged_text.count("******") == 1


# --- which language -------------------------------------------------------------------------------------
ORDER = Notification("order", "emails/sales/order_confirmation", recipients_from("customer_email"))


def test_the_event_language_comes_first(settings, monkeypatch):
    settings.COMMS_DEFAULT_LANGUAGE = "sw"
    monkeypatch.setattr(languages, "recipient_preference", lambda recipient: Language.SW)
    assert choose(ORDER, parse("sales.order_confirmed", language="en"), "a@x.test") is Language.EN


def test_then_the_recipients_preference_then_the_setting(settings, monkeypatch):
    data = parse("sales.order_confirmed")
    assert data.language is None
    assert choose(ORDER, data, "a@x.test") is Language.EN  # the setting's default
    settings.COMMS_DEFAULT_LANGUAGE = "sw"
    assert choose(ORDER, data, "a@x.test") is Language.SW
    asked = []
    monkeypatch.setattr(languages, "recipient_preference", lambda recipient: asked.append(recipient) or "en")
    assert choose(ORDER, data, "a@x.test") is Language.EN and asked == ["a@x.test"]


def test_the_preference_is_the_profile_its_batch_read_and_nobody_has_one_outside_a_batch():
    facts = Facts("sms", {"+254722334455": "+254722334455", "+254700000001": "+254700000001"}, profiles={
        "+254722334455": RecipientProfile(key="+254722334455", language="sw")})
    assert languages.recipient_preference("+254722334455") is None  # the admin's preview: no batch
    with languages.recipients_of(facts):
        assert languages.recipient_preference("+254722334455") is Language.SW
        assert languages.recipient_preference("+254700000001") is None
        data = parse("sales.order_confirmed")
        assert choose(ORDER, data, "+254722334455") is Language.SW
        assert choose(ORDER, parse("sales.order_confirmed", language="en"), "+254722334455") is Language.EN
    assert languages.recipient_preference("+254722334455") is None


@pytest.mark.django_db
def test_a_customer_who_chose_swahili_gets_the_swahili_email(mailoutbox):
    from consumers import profiles
    from consumers.events import InboundEvent

    profiles.set_language("Wanjiku@Example.com", "sw")
    channel = get_channel("email")
    for address in ("wanjiku@example.com", "otieno@example.com"):
        data = parse("sales.order_confirmed", customer_email=address)
        channel.deliver(InboundEvent(id=uuid.uuid4(), type="sales.order_confirmed", key=data.partition_key(),
                                     data=data, emitted_at=datetime.now(timezone.utc)))
    subjects = {message.to[0]: message.subject for message in mailoutbox}
    assert subjects["wanjiku@example.com"].startswith("Oda ORD-2026-00417 imethibitishwa")
    assert subjects["otieno@example.com"].startswith("Order")


def test_staff_messages_are_english_whatever_the_default(settings):
    settings.COMMS_DEFAULT_LANGUAGE = "sw"
    assert choose(ORDER, parse("inventory.stock_low"), "a@x.test") is Language.EN  # no language field: staff
    driver = Notification("push", "push/dispatch/delivery_assigned", recipients_from("driver_email"), customer=False)
    assert choose(driver, parse("dispatch.delivery_assigned", language="sw"), "1064") is Language.EN


def test_the_default_language_setting_is_validated(settings):
    settings.COMMS_DEFAULT_LANGUAGE = "fr"
    with pytest.raises(SettingError, match="COMMS_DEFAULT_LANGUAGE='fr': use one of en, sw"):
        comms.COMMS_DEFAULT_LANGUAGE  # noqa: B018


def test_the_language_field_is_optional_and_checked():
    assert parse("dispatch.delivery_assigned").language is None  # a record from before the field decodes
    assert parse("dispatch.delivery_assigned", language="sw").language == "sw"
    with pytest.raises(InvalidEventData) as caught:
        parse("sales.payment_received", language="fr")
    assert list(caught.value.problems) == ["language"]
    assert {t for t in CUSTOMER_EVENTS if "language" in get_event_type(t).model_fields} == set(CUSTOMER_EVENTS)


# --- a missing translation -----------------------------------------------------------------------------------
@pytest.fixture
def untranslated(settings, tmp_path, monkeypatch):
    """An SMS for order confirmations whose template has no Swahili file."""
    (tmp_path / "sms" / "test").mkdir(parents=True)
    (tmp_path / "sms" / "test" / "order.txt").write_text("{{ short_name }}: order {{ order_id }} confirmed.")
    settings.COMMS_TEMPLATE_DIRS = [str(tmp_path)]
    notification = Notification("sms_test_order", "sms/test/order", recipients_from("customer_phone"))
    monkeypatch.setitem(get_channel("sms").notifications, "sales.order_confirmed", [notification])
    return notification


def test_a_missing_translation_is_sent_in_english_and_logged(untranslated, caplog):
    with caplog.at_level(logging.WARNING, logger="consumers.languages"):
        sms = render_sms(untranslated, parse("sales.order_confirmed", language="sw"), Language.SW)
    assert (sms.text, sms.language) == ("Chesanto: order ORD-2026-00417 confirmed.", Language.EN)
    assert "sms_test_order has no Swahili translation (sms/test/order.sw.txt); sent in English" in caplog.text


def test_check_names_each_missing_translation(untranslated):
    warnings = check_translations()
    assert [w.id for w in warnings] == ["chesanto.W008"]
    assert "sms_test_order has no Swahili translation: sms/test/order.sw.txt" in warnings[0].msg


def test_check_names_a_missing_subject(monkeypatch):
    email = get_channel("email")
    bare = Notification("sales_bare", "emails/sales/invoice", recipients_from("customer_email"), subject="Invoice")
    monkeypatch.setitem(email.notifications, "sales.invoice_issued", [bare])
    assert [w.msg for w in check_translations()] == [
        "the email channel's sales_bare has no Swahili translation: its subject (Notification.subjects['sw']); "
        "it is sent in English to customers who read Swahili"]


def test_the_packaged_templates_have_every_translation():
    assert check_translations() == []


def test_an_override_directory_overrides_a_translation(settings, tmp_path):
    from consumers.sms.notifications import SMS

    (tmp_path / "sms" / "dispatch").mkdir(parents=True)
    (tmp_path / "sms" / "dispatch" / "delivery.sw.txt").write_text("{{ short_name }}: Mzigo {{ order_id }} unakuja.")
    settings.COMMS_TEMPLATE_DIRS = [str(tmp_path)]
    delivery = SMS["dispatch.delivery_assigned"][0]
    assert render_sms(delivery, parse("dispatch.delivery_assigned"), Language.SW).text == \
        "Chesanto: Mzigo ORD-2026-00417 unakuja."
    assert render_sms(delivery, parse("dispatch.delivery_assigned"), Language.EN).text.startswith(
        "Chesanto: your order ORD-2026-00417 is on its way")


# --- dates and money for the locale -----------------------------------------------------------------------
@pytest.mark.parametrize("value, language, shown", [
    (date(2026, 12, 7), "sw", "7 Desemba 2026"), (date(2026, 12, 7), "en", "7 Dec 2026"),
    ("2026-03-21", "sw", "21 Machi 2026"), (date(2026, 8, 1), "sw", "1 Agosti 2026"),
])
def test_dates(value, language, shown):
    assert day(value, language) == shown


def test_a_moment_in_swahili_keeps_the_24_hour_clock():
    moment = datetime(2026, 11, 21, 19, 5, tzinfo=timezone.utc)
    assert when(moment, "sw") == "21 Novemba 2026, 22:05 EAT"
    assert when(moment) == "21 Nov 2026, 22:05 EAT"


def test_money_is_kes_with_grouping():
    assert money("1320.5") == "KES 1,320.50"


def test_templates_format_for_their_language():
    from consumers import rendering

    source = "{{ d | day }} {{ t | money(c) }}"
    assert rendering.render_string(source, {"d": date(2026, 12, 7), "t": "3050", "c": "KES", "language": "sw"}) == \
        "7 Desemba 2026 KES 3,050.00"
    assert rendering.render_string(source, {"d": date(2026, 12, 7), "t": "3050", "c": "KES"}) == "7 Dec 2026 KES 3,050.00"


def test_a_record_without_a_language_is_written_as_before(db):
    from outbox import emit
    from outbox.models import OutboxEvent

    without = OutboxEvent.objects.get(id=emit("dispatch.delivery_assigned", sample("dispatch.delivery_assigned")))
    assert "language" not in without.payload  # a consumer from before the field still decodes it
    given = OutboxEvent.objects.get(id=emit("dispatch.delivery_assigned", {**sample("dispatch.delivery_assigned"),
                                                                           "language": "sw"}))
    assert given.payload["language"] == "sw"


# --- the admin's preview --------------------------------------------------------------------------------------
def test_the_preview_shows_a_customer_message_in_each_language():
    from consumers.template_preview import languages_of, preview

    assert languages_of("sales_order_confirmation") == [Language.EN, Language.SW]
    assert languages_of("inventory_low_stock") == [None]  # to staff: English only
    assert preview("sales_order_confirmation", Language.SW).subject == "Oda ORD-2026-00417 imethibitishwa - Chesanto Bakery"
    assert preview("sales_order_confirmation", Language.EN).subject == "Order ORD-2026-00417 confirmed - Chesanto Bakery"


def test_the_preview_names_what_is_untranslated(untranslated):
    from consumers.template_preview import preview

    shown = preview("sms_test_order", Language.SW)
    assert shown.untranslated == ("sms/test/order.sw.txt",) and shown.text == "Chesanto: order ORD-2026-00417 confirmed."


def test_a_broken_translation_is_found_by_check_and_fails_as_any_template_does(settings, tmp_path):
    from jinja2 import TemplateSyntaxError

    from consumers.sms.notifications import SMS

    (tmp_path / "sms" / "dispatch").mkdir(parents=True)
    (tmp_path / "sms" / "dispatch" / "delivery.sw.txt").write_text("{{ short_name }}: {% if %}")
    settings.COMMS_TEMPLATE_DIRS = [str(tmp_path)]
    assert check_translations() == []  # present: not a missing translation
    with pytest.raises(TemplateSyntaxError):
        render_sms(SMS["dispatch.delivery_assigned"][0], parse("dispatch.delivery_assigned"), Language.SW)


def test_whatsapp_text_in_swahili_but_the_approved_template_in_its_own_language():
    from consumers.whatsapp.compose import template_message, text_message
    from consumers.whatsapp.notifications import WHATSAPP

    notification = WHATSAPP["sales.order_confirmed"][0]
    data = parse("sales.order_confirmed", language="sw")
    template = template_message(notification.options["template"], notification, data, "+254722334455")
    assert template.payload["template"]["language"] == {"code": "en"}
    assert "{{4}}=23 Nov 2026" in template.logged_text  # the English template's date, not "23 Novemba"
    text = text_message(notification, data, "+254722334455", fallback=template, language=Language.SW)
    assert text.payload["text"]["body"].startswith("Habari Mama Njeri Shop, oda yako ORD-2026-00417 imethibitishwa")
    assert "tutaileta tarehe 23 Novemba 2026" in text.payload["text"]["body"]


def test_manage_py_check_reports_it_as_a_warning(untranslated):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("check", stdout=out, stderr=out)  # a warning: check still passes
    assert "(chesanto.W008) the sms channel's sms_test_order has no Swahili translation: sms/test/order.sw.txt" \
        in out.getvalue()
