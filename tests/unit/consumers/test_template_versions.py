"""Staff's template versions (consumers/template_versions.py, template_overrides.py): rendered in Jinja2's sandbox
with StrictUndefined, never activated when they fail, picked up by the next batch once the templates' generation
moves (one query per batch), recorded on the log row; a switched-off notification is SKIPPED; migrate keeps it all."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from jinja2.exceptions import SecurityError

from consumers import template_overrides, template_store, template_versions
from consumers.batch import Batch, local_lease
from consumers.channels import get_channel
from consumers.delivery_log import DeliveryStatus
from consumers.email.compose import render_email
from consumers.email.models import EmailLog
from consumers.events import InboundEvent
from consumers.languages import Language
from consumers.models import MessageTemplate, TemplateActivation
from consumers.providers import Sent
from consumers.rendering import render
from consumers.template_catalog import entry_for, sync_message_templates
from consumers.template_overrides import using
from consumers.template_store import SUBJECT, build
from outbox.events import get_event_type
from outbox.events.samples import sample

pytestmark = pytest.mark.django_db
NAME = "sales_order_confirmation"
TEXT = "emails/sales/order_confirmation.txt"
EN = Language.EN


@pytest.fixture(autouse=True)
def fresh_overrides():
    template_overrides.forget()
    yield
    template_overrides.forget()


@pytest.fixture
def template():
    sync_message_templates()
    return MessageTemplate.objects.get(name=NAME)


@pytest.fixture
def staff():
    return get_user_model().objects.create_user("editor", "editor@chesanto.local", "pw")


def _data():
    return get_event_type("sales.order_confirmed").parse(sample("sales.order_confirmed"))


def _order(address: str = "mama@example.com") -> InboundEvent:
    data = get_event_type("sales.order_confirmed").parse({**sample("sales.order_confirmed"), "customer_email": address})
    return InboundEvent(id=uuid.uuid4(), type="sales.order_confirmed", key=data.partition_key(), data=data,
                        emitted_at=datetime.now(UTC))


def _deliver(channel, events):
    batch = Batch(channel, events, [True] * len(events), local_lease())
    batch.open()
    for task in batch.tasks(lambda i: True):
        task.run(channel, after_each=batch.write_settled)
    batch.write_settled()


def test_an_override_is_rendered_in_the_sandbox_and_python_internals_are_refused():
    overrides = build("t", [(NAME, "emails/sales/order_confirmation", 1, {"en": {".txt": "{{ ''.__class__.__mro__ }}"}})],
                      set())
    with using(overrides), pytest.raises(SecurityError):
        render(TEXT, {})
    safe = build("t2", [(NAME, "emails/sales/order_confirmation", 1, {"en": {".txt": "Order {{ order_id }}"}})], set())
    with using(safe):
        assert render(TEXT, {"order_id": "ORD-1"}) == "Order ORD-1"
    assert "Thank you for ordering" in render_email(entry_for(NAME).notification, _data(), "a@example.com").text  # file


def test_an_override_sees_the_files_filters_and_may_extend_their_layout():
    source = '{% extends "emails/base.txt" %}{% block content %}Due {{ total|money(currency) }}{% endblock %}'
    with using(build("t3", [(NAME, "emails/sales/order_confirmation", 1, {"en": {".txt": source}})], set())):
        text = render_email(entry_for(NAME).notification, _data(), "a@example.com").text
    assert "Due KES 3,050.00" in text and "Chesanto Bakery" in text  # the layout's footer


def test_a_draft_with_an_undefined_variable_or_a_syntax_error_shows_it_and_is_never_activated(template, staff):
    for source, error in (("Hello {{ nobody_knows }}", "'nobody_knows' is undefined"),
                          ("Hello {{ order_id ", "TemplateSyntaxError")):
        draft = template_versions.save_draft(template, {(EN, ".txt"): source}, staff)
        shown = dict(template_versions.preview_version(draft))
        assert error in shown[EN].error
        with pytest.raises(template_versions.CannotActivate):
            template_versions.activate(template, draft, staff)
    template.refresh_from_db()
    assert template.active_version is None and not TemplateActivation.objects.exists()


def test_a_draft_keeps_only_the_parts_that_differ_from_the_files(template, staff):
    unchanged = template_versions.current_source(template, EN, ".html")
    draft = template_versions.save_draft(template, {(EN, ".html"): unchanged, (EN, ".txt"): "Order {{ order_id }}",
                                                    (EN, SUBJECT): "Yours: {{ order_id }}"}, staff)
    assert draft.parts == {"en": {".txt": "Order {{ order_id }}", SUBJECT: "Yours: {{ order_id }}"}}
    assert (draft.number, draft.created_by) == (1, staff)
    assert template_versions.save_draft(template, {}, staff).number == 2


def test_activating_reaches_the_next_batch_once_the_generation_moves_and_the_row_records_the_version(
        template, staff, monkeypatch, django_assert_num_queries):
    channel = get_channel("email")
    sent = []
    monkeypatch.setattr(type(channel), "send", lambda self, message, recipient, entry: sent.append(message[0]) or Sent("m"))
    template_store.refresh()
    with django_assert_num_queries(1):  # nothing changed: the generation only
        template_store.refresh()

    draft = template_versions.save_draft(template, {(EN, ".txt"): "Order {{ order_id }} is ours",
                                                    (EN, SUBJECT): "Yours: {{ order_id }}"}, staff)
    template_versions.activate(template, draft, staff)
    first = _order()
    _deliver(channel, [first])
    assert sent[-1].text == f"Order {first.data.order_id} is ours" and sent[-1].subject == f"Yours: {first.data.order_id}"
    assert EmailLog.objects.get(event_id=first.id).override_version == 1

    template_versions.activate(template, None, staff)  # back to the files
    second = _order()
    _deliver(channel, [second])
    assert "Thank you for ordering" in sent[-1].text
    assert EmailLog.objects.get(event_id=second.id).override_version is None
    assert [(a.version and a.version.number, a.activated_by) for a in template.activations.all()] == [
        (None, staff), (1, staff)]


def test_a_switched_off_notification_is_skipped_and_nothing_is_sent(template, monkeypatch):
    channel = get_channel("email")
    monkeypatch.setattr(type(channel), "send", lambda *a: pytest.fail("nothing may be sent"))
    template.is_active = False
    template.save()
    event = _order()
    _deliver(channel, [event])
    row = EmailLog.objects.get(event_id=event.id)
    assert row.status == DeliveryStatus.SKIPPED
    assert row.error_message == f"not sent: the {NAME} notification is switched off (MessageTemplate.is_active)"


def test_migrate_keeps_staffs_switch_and_override_and_mends_the_files_metadata(template, staff):
    draft = template_versions.save_draft(template, {(EN, ".txt"): "Order {{ order_id }}"}, staff)
    template_versions.activate(template, draft, staff)
    MessageTemplate.objects.filter(pk=template.pk).update(is_active=False, template_path="moved.html")
    sync_message_templates()
    template.refresh_from_db()
    assert (template.is_active, template.active_version, template.template_path) == (
        False, draft, "emails/sales/order_confirmation.html")


def test_a_push_title_and_body_come_from_the_version_in_force():
    from consumers.push.compose import render_push
    from consumers.push.notifications import PUSH

    (low_stock,) = PUSH["inventory.stock_low"]
    data = get_event_type("inventory.stock_low").parse(sample("inventory.stock_low"))
    parts = {"en": {SUBJECT: "Order more {{ product_name }}", ".txt": "Only {{ current_stock }} left"}}
    with using(build("p", [(low_stock.name, low_stock.template, 3, parts)], set())):
        push = render_push(low_stock, data)
    assert (push.title, push.body) == (f"Order more {data.product_name}", f"Only {data.current_stock} left")
    assert render_push(low_stock, data).title == f"Low stock: {data.product_name}"  # the code's, outside


def test_an_inbox_items_blocks_come_from_the_version_in_force():
    from consumers.inbox.compose import render_item
    from consumers.inbox.notifications import INBOX

    (low_stock,) = INBOX["inventory.stock_low"]
    data = get_event_type("inventory.stock_low").parse(sample("inventory.stock_low"))
    source = "{% block title %}Buy {{ product_name }}{% endblock %}{% block body %}Only {{ current_stock }}{% endblock %}"
    with using(build("i", [(low_stock.name, low_stock.template, 1, {"en": {".txt": source}})], set())):
        item = render_item(low_stock, data)
    assert (item.title, item.body) == (f"Buy {data.product_name}", f"Only {data.current_stock}")
