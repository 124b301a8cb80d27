from django.contrib import admin

from examples.inventory.models import Product, StockMovement


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "stock", "threshold", "unit")
    search_fields = ("sku", "name")
    filter_horizontal = ("alert_users",)

    def get_readonly_fields(self, request, obj=None):
        return ("stock",) if obj else ()  # an opening stock when adding; afterwards, movements only


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    """Written by record_movement only (it keeps the stock and the alerts right)."""

    list_display = ("created_at", "product", "change", "stock_after", "reason", "raised_alert", "by")
    list_filter = ("raised_alert", "product")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
