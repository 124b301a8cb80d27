"""Sales: confirm an order, record a payment.

How a business module notifies (the same in every example module):

1. One `transaction.atomic()` around the whole operation.
2. Lock the order (`select_for_update`) and check its state; a wrong state raises a typed
   error before anything is written, so confirming twice emits nothing.
3. Write the module's own rows (status, total, the payment).
4. `emit(...)` the event in that same transaction, built from the rows just written. The
   data is validated first; an invalid event (say, a malformed customer email) raises and
   the status change rolls back with it.
5. Commit: the event is published only if the order change is, and is never lost once it is.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from examples.common import BusinessRuleError, plain
from examples.sales.models import Order, Payment
from outbox import emit

CENT = Decimal("0.01")


class OrderStateError(BusinessRuleError):
    """The order is not in the state this operation needs."""


class InvalidPayment(BusinessRuleError):
    status = 400


def confirm_order(order: Order, actor) -> Order:
    """draft → confirmed: the total is recomputed from the lines, sales.order_confirmed emitted."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != Order.Status.DRAFT:
            raise OrderStateError(f"order {locked.number} is already {locked.status}; only a draft order can be confirmed")
        lines = list(locked.lines.all())
        if not lines:
            raise OrderStateError(f"order {locked.number} has no lines; add at least one before confirming it")
        locked.total = sum((line.amount for line in lines), Decimal(0)).quantize(CENT, ROUND_HALF_UP)
        locked.status, locked.confirmed_at = Order.Status.CONFIRMED, timezone.now()
        locked.save(update_fields=["total", "status", "confirmed_at"])
        emit("sales.order_confirmed", {
            "order_id": locked.number,
            "customer_email": locked.customer_email,
            "customer_name": locked.customer_name,
            "customer_phone": locked.customer_phone or None,
            "items": [{"product": line.product, "quantity": plain(line.quantity), "unit_price": str(line.unit_price)}
                      for line in lines],
            "total": str(locked.total),
            "delivery_date": locked.delivery_date.isoformat() if locked.delivery_date else None,
        }, actor=actor)
    order.refresh_from_db()
    return order


def record_payment(order: Order, amount, method: str, reference: str, actor) -> Payment:
    """A payment against a confirmed order; paying the balance in full marks it paid.
    Emits sales.payment_received (a receipt by email, and by SMS when the customer has a phone)."""
    amount = Decimal(amount)
    if amount <= 0 or amount != amount.quantize(CENT):
        raise InvalidPayment(f"a payment is a positive amount in shillings and cents, got {amount}")
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != Order.Status.CONFIRMED:
            state = "paid in full" if locked.status == Order.Status.PAID else "a draft; confirm it first"
            raise OrderStateError(f"order {locked.number} is {state}; payments are taken on confirmed orders")
        balance = locked.total - locked.amount_paid()
        if amount > balance:
            raise InvalidPayment(f"{amount} is more than the {balance} still due on {locked.number}; "
                                 "record at most the balance")
        payment = Payment.objects.create(order=locked, amount=amount, method=method, reference=reference,
                                         received_by=actor)
        if amount == balance:
            locked.status = Order.Status.PAID
            locked.save(update_fields=["status"])
        data = {
            "receipt_number": payment.number,
            "customer_email": locked.customer_email,
            "customer_name": locked.customer_name,
            "amount": str(amount),
            "method": method,
            "reference": reference,
        }
        if locked.customer_phone:
            data["phone"] = locked.customer_phone
        emit("sales.payment_received", data, actor=actor)
    order.refresh_from_db()
    return payment
