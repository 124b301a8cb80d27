"""The example modules' admin pages; the sales admin's confirm action goes through the service."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from examples.sales.models import Order

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

MODELS = ["example_accounts_invitation", "example_accounts_logincode", "example_accounts_profile", "example_sales_order",
          "example_inventory_product", "example_inventory_stockmovement"]


@pytest.mark.parametrize("model", MODELS)
def test_changelists_render(admin_client, model):
    assert admin_client.get(reverse(f"admin:{model}_changelist")).status_code == 200


def test_confirm_action_confirms_and_emits_once(admin_client, new_events):
    order = Order.objects.create(customer_name="Duka la Mama", customer_email="duka@example.com")
    order.lines.create(product="Mandazi", quantity=Decimal("50"), unit_price=Decimal("10.00"))
    for _ in range(2):  # the second time it is refused, with a message
        response = admin_client.post(reverse("admin:example_sales_order_changelist"),
                                     {"action": "confirm", "_selected_action": [order.pk]}, follow=True)
        assert response.status_code == 200
    assert "already confirmed" in response.content.decode()
    order.refresh_from_db()
    assert (order.status, order.total) == ("confirmed", Decimal("500.00"))
    assert [row.type for row in new_events()] == ["sales.order_confirmed"]
