from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Sum


class Order(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        CONFIRMED = "confirmed"
        PAID = "paid"

    customer_name = models.CharField(max_length=150)
    customer_email = models.EmailField()
    customer_phone = models.CharField(max_length=16, blank=True,
                                      help_text="E.164, e.g. +254722334455; receipts then go by SMS too.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"),
                                help_text="Set from the lines when the order is confirmed.")
    delivery_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.number} {self.customer_name} ({self.status})"

    @property
    def number(self) -> str:
        return f"ORD-{self.pk:05d}"

    def amount_paid(self) -> Decimal:
        return self.payments.aggregate(paid=Sum("amount"))["paid"] or Decimal("0.00")


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.CharField(max_length=150)
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="example_sales_line_quantity_positive"),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="example_sales_line_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product}"

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price


class Payment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    method = models.CharField(max_length=30, help_text='"M-Pesa", "cash", "bank transfer"')
    reference = models.CharField(max_length=100, blank=True, help_text="e.g. the M-Pesa transaction code")
    received_at = models.DateTimeField(auto_now_add=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.number} {self.amount} on {self.order.number}"

    @property
    def number(self) -> str:
        return f"RCT-{self.pk:05d}"
