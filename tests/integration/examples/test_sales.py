"""examples.sales: confirming an order and recording a payment, each with exactly one outbox row."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from examples.sales.models import Order, Payment
from examples.sales.services import InvalidPayment, OrderStateError, confirm_order, record_payment
from outbox import InvalidEventData
from tests.integration.examples.conftest import assert_guarded

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def order(db):
    order = Order.objects.create(customer_name="Mama Njeri Shop", customer_email="orders@mamanjeri.example",
                                 customer_phone="+254722334455", delivery_date=date(2026, 11, 23))
    order.lines.create(product="White bread 400g", quantity=Decimal("24"), unit_price=Decimal("55.00"))
    order.lines.create(product="Queen cakes (dozen)", quantity=Decimal("2.5"), unit_price=Decimal("180.00"))
    return order


def test_confirm_sets_status_and_total_and_emits_the_lines(order, staff, new_events):
    confirm_order(order, actor=staff)
    assert (order.status, order.total) == ("confirmed", Decimal("1770.00")) and order.confirmed_at
    [row] = new_events()
    assert (row.type, row.aggregateid, row.headers["actor"]) == ("sales.order_confirmed", order.number, str(staff.pk))
    assert row.payload == {
        "order_id": order.number, "customer_email": "orders@mamanjeri.example", "customer_name": "Mama Njeri Shop",
        "customer_phone": "+254722334455",
        "items": [{"product": "White bread 400g", "quantity": "24", "unit_price": "55.00"},
                  {"product": "Queen cakes (dozen)", "quantity": "2.5", "unit_price": "180.00"}],
        "total": "1770.00", "currency": "KES", "delivery_date": "2026-11-23",
    }


def test_confirming_twice_is_an_error_and_emits_nothing_more(order, staff, new_events):
    confirm_order(order, actor=staff)
    with pytest.raises(OrderStateError, match="already confirmed"):
        confirm_order(order, actor=staff)
    assert len(new_events()) == 1


def test_an_order_without_lines_is_not_confirmed(staff, new_events):
    empty = Order.objects.create(customer_name="Duka", customer_email="duka@example.com")
    with pytest.raises(OrderStateError, match="no lines"):
        confirm_order(empty, actor=staff)
    empty.refresh_from_db()
    assert empty.status == "draft" and new_events() == []


def test_an_invalid_customer_email_rolls_the_confirmation_back(order, staff, new_events):
    Order.objects.filter(pk=order.pk).update(customer_email="orders at mamanjeri")
    with pytest.raises(InvalidEventData, match="customer_email"):
        confirm_order(order, actor=staff)
    order.refresh_from_db()
    assert (order.status, order.total, order.confirmed_at) == ("draft", Decimal("0.00"), None)
    assert new_events() == []


def test_payment_emits_a_receipt_with_the_phone_and_settles_the_order(order, staff, new_events):
    confirm_order(order, actor=staff)
    part = record_payment(order, "1000.00", "M-Pesa", "SKL4H7XQ2P", actor=staff)
    assert order.status == "confirmed"
    rest = record_payment(order, Decimal("770.00"), "cash", "", actor=staff)
    assert order.status == "paid" and order.amount_paid() == Decimal("1770.00")
    _, first, second = new_events()
    assert (first.type, first.aggregateid) == ("sales.payment_received", part.number)
    assert first.payload == {
        "receipt_number": part.number, "customer_email": "orders@mamanjeri.example",
        "customer_name": "Mama Njeri Shop", "phone": "+254722334455", "amount": "1000.00", "currency": "KES",
        "method": "M-Pesa", "reference": "SKL4H7XQ2P", "invoice_number": None,
    }
    assert (second.payload["receipt_number"], second.payload["amount"]) == (rest.number, "770.00")


def test_no_phone_no_sms(order, staff, new_events):
    Order.objects.filter(pk=order.pk).update(customer_phone="")
    confirm_order(order, actor=staff)
    record_payment(order, "1770.00", "bank transfer", "FT2611", actor=staff)
    assert new_events()[-1].payload["phone"] is None


@pytest.mark.parametrize("amount, error, message", [
    ("0", InvalidPayment, "positive"),
    ("10.005", InvalidPayment, "shillings and cents"),
    ("1770.01", InvalidPayment, "more than the 1770.00 still due"),
])
def test_a_refused_payment_writes_nothing(order, staff, new_events, amount, error, message):
    confirm_order(order, actor=staff)
    with pytest.raises(error, match=message):
        record_payment(order, amount, "M-Pesa", "X", actor=staff)
    assert not Payment.objects.exists() and len(new_events()) == 1


def test_payments_need_a_confirmed_unpaid_order(order, staff, new_events):
    with pytest.raises(OrderStateError, match="draft; confirm it first"):
        record_payment(order, "100.00", "cash", "", actor=staff)
    confirm_order(order, actor=staff)
    record_payment(order, "1770.00", "cash", "", actor=staff)
    with pytest.raises(OrderStateError, match="paid in full"):
        record_payment(order, "1.00", "cash", "", actor=staff)
    assert Payment.objects.count() == 1 and [row.type for row in new_events()] == [
        "sales.order_confirmed", "sales.payment_received"]


def test_views_refuse_anonymous_and_non_staff(order, client, django_user_model, new_events):
    assert_guarded(client, django_user_model, reverse("example_sales:confirm", args=[order.pk]), {})
    assert_guarded(Client(), django_user_model, reverse("example_sales:pay", args=[order.pk]),
                   {"amount": "10", "method": "cash"})
    order.refresh_from_db()
    assert order.status == "draft" and new_events() == []


def test_views_for_staff(order, staff_client, new_events):
    confirmed = staff_client.post(reverse("example_sales:confirm", args=[order.pk]))
    assert confirmed.status_code == 200 and confirmed.json() == {
        "order": order.number, "status": "confirmed", "total": "1770.00"}
    assert staff_client.post(reverse("example_sales:confirm", args=[order.pk])).status_code == 409
    paid = staff_client.post(reverse("example_sales:pay", args=[order.pk]),
                             json.dumps({"amount": "1770", "method": "M-Pesa", "reference": "SKL4H7XQ2P"}),
                             content_type="application/json")
    assert paid.status_code == 201 and paid.json()["status"] == "paid"
    unreadable = staff_client.post(reverse("example_sales:pay", args=[order.pk]), {"amount": "lots", "method": "cash"})
    assert unreadable.status_code == 400 and "amount" in unreadable.json()["error"]
    assert [row.type for row in new_events()] == ["sales.order_confirmed", "sales.payment_received"]
    assert staff_client.get(reverse("example_sales:confirm", args=[order.pk])).status_code == 405
