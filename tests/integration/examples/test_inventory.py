"""examples.inventory: stock movements; the one that crosses the threshold emits inventory.stock_low."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from examples.inventory.models import Product, StockMovement
from examples.inventory.services import InvalidMovement, NegativeStock, record_movement
from tests.integration.examples.conftest import assert_guarded

pytestmark = pytest.mark.integration


@pytest.fixture
def flour(db):
    return Product.objects.create(sku="RM-FLOUR-001", name="Wheat flour (baking)", unit="kg", stock=Decimal("60"),
                                  threshold=Decimal("50"), alert_emails="stores@example.com, mutua@example.com",
                                  alert_phones="+254733445566")


def stock_low(events):
    return [row for row in events if row.type == "inventory.stock_low"]


@pytest.mark.django_db
def test_a_movement_updates_the_stock_and_is_recorded(flour, staff, new_events):
    movement = record_movement(flour, Decimal("-5.5"), "production: night shift", by=staff)
    assert flour.stock == Decimal("54.5")
    assert (movement.change, movement.stock_after, movement.reason, movement.by, movement.raised_alert) == (
        Decimal("-5.5"), Decimal("54.5"), "production: night shift", staff, False)
    assert new_events() == []


@pytest.mark.django_db
def test_crossing_the_threshold_emits_one_alert(flour, staff, new_events):
    movement = record_movement(flour, "-47.5", "production: night shift", by=staff)
    assert movement.raised_alert and flour.stock == Decimal("12.5")
    [row] = new_events()
    assert (row.type, row.aggregateid, row.headers["actor"]) == ("inventory.stock_low", "RM-FLOUR-001", str(staff.pk))
    assert row.payload == {
        "product_id": "RM-FLOUR-001", "product_name": "Wheat flour (baking)", "current_stock": "12.5",
        "threshold": "50", "unit": "kg", "recipients": ["stores@example.com", "mutua@example.com"],
        "phones": ["+254733445566"], "recipient_user_ids": [],  # no user watches it: the inbox and push tell nobody
    }


@pytest.mark.django_db
def test_the_users_watching_a_product_are_named_by_id_and_get_the_email_too(flour, staff, django_user_model,
                                                                            new_events):
    keeper = django_user_model.objects.create_user("keeper", email="mutua@example.com")
    baraka = django_user_model.objects.create_user("baraka", email="baraka@example.com")
    flour.alert_users.add(baraka, keeper)
    record_movement(flour, "-47.5", "production: night shift", by=staff)
    [row] = new_events()
    assert row.payload["recipient_user_ids"] == sorted([str(keeper.pk), str(baraka.pk)], key=int)
    assert row.payload["recipients"] == ["stores@example.com", "mutua@example.com", "baraka@example.com"]


@pytest.mark.django_db
def test_the_threshold_is_crossed_once_per_fall(flour, staff, new_events):
    changes = ["-10", "-1", "-5", "-20", "+30", "-1", "-15"]
    # stock:   50 (at it: fine), 49 (crossed), 44, 24 (still below: quiet), 54 (back up), 53, 38 (crossed again)
    alerted = [record_movement(flour, change, "test", by=staff).raised_alert for change in changes]
    assert alerted == [False, True, False, False, False, False, True]
    assert [row.payload["current_stock"] for row in stock_low(new_events())] == ["49", "38"]
    assert StockMovement.objects.filter(product=flour).count() == len(changes)


@pytest.mark.django_db
def test_negative_stock_is_refused_and_writes_nothing(flour, staff, new_events):
    with pytest.raises(NegativeStock, match="60 kg in stock, cannot take out 60.5"):
        record_movement(flour, "-60.5", "production", by=staff)
    flour.refresh_from_db()
    assert flour.stock == Decimal("60") and not StockMovement.objects.exists() and new_events() == []


@pytest.mark.django_db
def test_a_zero_change_or_no_reason_is_refused(flour, staff, new_events):
    for change, reason in [("0", "stock take"), ("-1", "  ")]:
        with pytest.raises(InvalidMovement):
            record_movement(flour, change, reason, by=staff)
    assert not StockMovement.objects.exists() and new_events() == []


@pytest.mark.django_db
def test_a_product_nobody_watches_falls_quietly(flour, staff, new_events):
    Product.objects.filter(pk=flour.pk).update(alert_emails="", alert_phones="")
    assert record_movement(flour, "-50", "production", by=staff).raised_alert
    assert new_events() == []


@pytest.mark.django_db
def test_a_product_only_users_watch_alerts_them(flour, staff, django_user_model, new_events):
    Product.objects.filter(pk=flour.pk).update(alert_emails="", alert_phones="")
    flour.alert_users.add(staff)
    record_movement(flour, "-50", "production", by=staff)
    [row] = new_events()
    assert (row.payload["recipients"], row.payload["recipient_user_ids"]) == ([staff.email], [str(staff.pk)])


@pytest.mark.django_db(transaction=True)
def test_concurrent_movements_alert_once(flour, new_events):
    """Ten clerks take 1 kg each at the same moment from 55 kg (threshold 50): the row lock
    orders them, so the stock ends at 45 and exactly one of them crosses the line."""
    Product.objects.filter(pk=flour.pk).update(stock=Decimal("55"))
    start, errors = threading.Barrier(10), []

    def clerk():
        try:
            start.wait()
            record_movement(flour, "-1", "sold over the counter", by=None)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    flour.refresh_from_db()
    assert flour.stock == Decimal("45")
    assert StockMovement.objects.filter(product=flour, raised_alert=True).count() == 1
    assert len(stock_low(new_events())) == 1


@pytest.mark.django_db
def test_views_refuse_anonymous_and_non_staff(flour, client, django_user_model, new_events):
    assert_guarded(client, django_user_model, reverse("example_inventory:move", args=[flour.pk]),
                   {"change": "-50", "reason": "production"})
    flour.refresh_from_db()
    assert flour.stock == Decimal("60") and new_events() == []


@pytest.mark.django_db
def test_view_for_staff(flour, staff_client, new_events):
    url = reverse("example_inventory:move", args=[flour.pk])
    response = staff_client.post(url, {"change": "-15", "reason": "production"})
    assert response.status_code == 201 and response.json()["raised_alert"] is True
    assert response.json()["stock"] == "45.000"
    assert staff_client.post(url, {"change": "-100", "reason": "production"}).status_code == 409
    assert staff_client.post(url, {"change": "-1"}).status_code == 400  # no reason
    assert len(stock_low(new_events())) == 1
