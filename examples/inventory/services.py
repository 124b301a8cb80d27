"""Inventory: record a stock movement; the one that takes a product below its threshold alerts.

How a business module notifies (the same in every example module):

1. One `transaction.atomic()` around the whole operation.
2. Lock the product (`select_for_update`) and check the rule: stock may not go negative;
   that raises a typed error before anything is written.
3. Write the module's own rows (the new stock, the movement).
4. `emit(...)` the event in that same transaction, only when this movement crosses the
   threshold. The lock is what makes "crosses" exact: two concurrent movements cannot both
   see the stock above the line, so one fall alerts once.
5. Commit: the alert goes out only if the movement is kept, and is never lost once it is.
"""
from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from examples.common import BusinessRuleError, plain
from examples.inventory.models import Product, StockMovement
from outbox import emit


class InvalidMovement(BusinessRuleError):
    status = 400


class NegativeStock(BusinessRuleError):
    """The movement would take more out than there is."""


def record_movement(product: Product, change, reason: str, by) -> StockMovement:
    """Apply `change` (positive in, negative out) to the product's stock and record it.

    Emits inventory.stock_low only when this movement takes the stock from at or above the
    threshold to below it; later movements below it stay quiet until stock is back up.
    """
    change = Decimal(change)
    if not change or not reason.strip():
        raise InvalidMovement("a movement needs a non-zero change and a reason")
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        before, after = locked.stock, locked.stock + change
        if after < 0:
            raise NegativeStock(f"{locked.name}: {plain(before)} {locked.unit} in stock, cannot take out "
                                f"{plain(-change)}; record the delivery first, or correct the count with a stock take")
        crossed = before >= locked.threshold > after
        locked.stock = after
        locked.save(update_fields=["stock"])
        movement = StockMovement.objects.create(product=locked, change=change, stock_after=after,
                                                reason=reason.strip(), by=by, raised_alert=crossed)
        addresses, user_ids = locked.alert_recipients()
        # A product nobody watches has no one to tell; the movement stands on its own.
        if crossed and (addresses or user_ids or locked.alert_phone_list()):
            emit("inventory.stock_low", {
                "product_id": locked.sku,
                "product_name": locked.name,
                "current_stock": plain(after),
                "threshold": plain(locked.threshold),
                "unit": locked.unit,
                "recipients": addresses,
                "phones": locked.alert_phone_list(),
                # The users it knows, by id: the inbox and push deliver to them, never to a guess from an address.
                "recipient_user_ids": user_ids,
            }, actor=by)
    product.refresh_from_db(fields=["stock"])
    return movement
