from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class Product(models.Model):
    sku = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=150)
    unit = models.CharField(max_length=20, default="units")
    stock = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal("0"),
                                help_text="Changed only by stock movements.")
    threshold = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal("0"),
                                    help_text="Falling below this alerts the people below, once per fall.")
    alert_emails = models.CharField(max_length=500, blank=True, help_text="Comma-separated addresses.")
    alert_phones = models.CharField(max_length=500, blank=True, help_text="Comma-separated, E.164 (+254…).")
    alert_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                         help_text="Users of the system told in the app (inbox, push) and by email.")

    class Meta:
        ordering = ["sku"]
        constraints = [  # the service refuses these first; the database is the backstop
            models.CheckConstraint(condition=Q(stock__gte=0), name="example_inventory_stock_not_negative"),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="example_inventory_threshold_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    def alert_email_list(self) -> list[str]:
        return split_list(self.alert_emails)

    def alert_phone_list(self) -> list[str]:
        return split_list(self.alert_phones)

    def alert_recipients(self) -> tuple[list[str], list[int]]:
        """Who the alert goes to: the addresses (the list's, then the users'), and the users by id, which
        the in-app inbox and push deliver to (an address can name a user only by a look-up)."""
        users = list(self.alert_users.order_by("pk").values_list("pk", "email"))
        addresses = list(dict.fromkeys([*self.alert_email_list(), *(email for _, email in users if email)]))
        return addresses, [pk for pk, _ in users]


class StockMovement(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements")
    change = models.DecimalField(max_digits=12, decimal_places=3, help_text="Positive in, negative out.")
    stock_after = models.DecimalField(max_digits=12, decimal_places=3)
    reason = models.CharField(max_length=100)
    raised_alert = models.BooleanField(default=False, help_text="This movement took the stock below the threshold.")
    created_at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.change:+} {self.product.unit} {self.product.name}: {self.reason}"
