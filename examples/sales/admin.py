from django.contrib import admin, messages

from examples.common import BusinessRuleError
from examples.sales import services
from examples.sales.models import Order, OrderLine, Payment
from outbox import InvalidEventData


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 1


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    readonly_fields = ("amount", "method", "reference", "received_at", "received_by")

    def has_add_permission(self, request, obj=None):
        return False  # through record_payment, which emits the receipt


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("__str__", "customer_email", "status", "total", "created_at", "confirmed_at")
    list_filter = ("status",)
    search_fields = ("customer_name", "customer_email")
    readonly_fields = ("status", "total", "confirmed_at")
    inlines = [OrderLineInline, PaymentInline]
    actions = ["confirm"]

    @admin.action(description="Confirm selected draft orders (emails the customer)")
    def confirm(self, request, queryset):
        for order in queryset:
            try:
                services.confirm_order(order, actor=request.user)
            except (BusinessRuleError, InvalidEventData) as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"{order.number} confirmed, total {order.total}")
