"""The demo's business day: the example modules (examples/) do their work, and each
operation emits its event in its own transaction, exactly as a real module would."""
from __future__ import annotations

import uuid
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone

from chesanto_comms.conf import comms
from consumers.push.devices import register
from examples.accounts.services import invite_user, request_login_code, set_phone
from examples.inventory.models import Product
from examples.inventory.services import record_movement
from examples.sales.models import Order
from examples.sales.services import confirm_order, record_payment
from outbox.models import OutboxEvent

FLOUR_RESTOCKED_TO = Decimal("80")  # kg; its threshold is 50
DEMO_DEVICE_TOKEN = "dKq3Zr0xT8m:APA91bDemoStorekeeperAndroidToken"  # the shape of an FCM registration token


def run() -> tuple[list[uuid.UUID], list[str]]:
    """Invite a user and send them a login code, confirm and pay an order, register the storekeeper's
    phone for push, use flour until it runs low (the alert goes to the stores list by email and SMS, and
    to the storekeeper, a user the product names by id: by email, by push to his phone and to his in-app inbox).
    Returns the ids of the events emitted, oldest first, and a line per operation."""
    start = OutboxEvent.objects.aggregate(seq=Max("seq"))["seq"] or 0
    manager = _manager()
    keeper = _inbox_user()
    done = [*_accounts(manager), *_sales(manager), *_push_device(), *_inventory(manager, keeper)]
    emitted = OutboxEvent.objects.filter(seq__gt=start).order_by("seq").values_list("id", flat=True)
    return list(emitted), done


def _manager():
    manager, _ = get_user_model().objects.get_or_create(
        username="grace.wambui@example.com",
        defaults={"email": "grace.wambui@example.com", "first_name": "Grace", "last_name": "Wambui", "is_staff": True},
    )
    return manager


INBOX_USER = "mutua.kioko@example.com"  # watches the flour, so the low-stock alert lands in his in-app inbox


def _inbox_user():
    user, _ = get_user_model().objects.get_or_create(
        username=INBOX_USER, defaults={"email": INBOX_USER, "first_name": "Mutua", "last_name": "Kioko"})
    return user


def _accounts(manager) -> list[str]:
    email = _unused_address("wanjiku.kamau@example.com")
    invitation = invite_user(email, "Wanjiku Kamau", "Salesman", f"{comms.COMMS_APP_URL}/admin/login/",
                             invited_by=manager)
    set_phone(invitation.user, "0712 345 678")  # kept as +254712345678: the code's SMS goes there
    code = request_login_code(invitation.user, requested_by=invitation.user)  # the user asks for their own
    return [
        f"accounts: invited {email} as {invitation.role} (temporary password sealed in the event)",
        f"accounts: login code for {email} by email and SMS, valid until "
        f"{timezone.localtime(code.expires_at):%H:%M} (only its hash is kept)",
    ]


def _sales(manager) -> list[str]:
    order = Order.objects.create(customer_name="Mama Njeri Shop", customer_email="orders@mamanjerishop.example.com",
                                 customer_phone="+254722334455")
    for product, quantity, price in [("White bread 400g", "24", "55.00"), ("Brown bread 400g", "12", "65.00"),
                                     ("Mandazi", "50", "10.00"), ("Queen cakes (dozen)", "2.5", "180.00")]:
        order.lines.create(product=product, quantity=Decimal(quantity), unit_price=Decimal(price))
    confirm_order(order, actor=manager)
    payment = record_payment(order, order.total, "M-Pesa", "SKL4H7XQ2P", actor=manager)
    return [
        f"sales: confirmed {order.number} for {order.customer_name}, {order.lines.count()} lines, KES {order.total:,}",
        f"sales: {payment.method} payment {payment.number} of KES {payment.amount:,}; {order.number} is {order.status}",
    ]


def _push_device() -> list[str]:
    """The storekeeper signs in on the bakery's Android app, which registers its FCM token
    (what POST /comms/push/devices/ does)."""
    keeper, _ = get_user_model().objects.get_or_create(
        username="mutua.kioko@example.com",
        defaults={"email": "mutua.kioko@example.com", "first_name": "Mutua", "last_name": "Kioko"})
    registration = register(keeper, DEMO_DEVICE_TOKEN, "android")  # a second run refreshes it
    return [f"push: {keeper.email}'s Android app registered its device token ({registration.device.token[:20]}…)"]


def _inventory(manager, keeper) -> list[str]:
    flour, _ = Product.objects.get_or_create(sku="RM-FLOUR-001", defaults={
        "name": "Wheat flour (baking)", "unit": "kg", "threshold": Decimal("50"),
        "alert_emails": "stores@example.com", "alert_phones": "+254733445566"})
    flour.alert_users.add(keeper)  # a user: the event names him by id (his address gets the email too)
    if flour.stock < FLOUR_RESTOCKED_TO:  # a fresh database, or what an earlier run left
        record_movement(flour, FLOUR_RESTOCKED_TO - flour.stock, "delivery received", by=manager)
    levels, alerts = [flour.stock], 0
    for change, reason in [("-20", "production: morning shift"), ("-47.5", "production: night shift"),
                           ("-2.5", "spillage")]:
        alerts += record_movement(flour, change, reason, by=manager).raised_alert
        levels.append(flour.stock)
    path = " → ".join(f"{level.normalize():f}" for level in levels)
    return [f"inventory: {flour.name} {path} {flour.unit} (threshold {flour.threshold.normalize():f}): "
            f"{alerts} alert, from the movement that crossed it"]


def _unused_address(address: str) -> str:
    """The address, or address+N when an earlier run (on a kept database) invited it already."""
    local, domain = address.split("@")
    candidate, n = address, 1
    while get_user_model().objects.filter(email__iexact=candidate).exists():
        n += 1
        candidate = f"{local}+{n}@{domain}"
    return candidate
