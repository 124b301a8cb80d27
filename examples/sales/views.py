"""Staff-only JSON views over the sales services (see examples/web.py)."""
from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from examples.sales import services
from examples.sales.models import Order
from examples.web import decimal, form, required, staff_post


@staff_post
def confirm(request, order_id: int):
    order = services.confirm_order(get_object_or_404(Order, pk=order_id), actor=request.user)
    return JsonResponse({"order": order.number, "status": order.status, "total": str(order.total)})


@staff_post
def pay(request, order_id: int):
    order = get_object_or_404(Order, pk=order_id)
    data = form(request)
    payment = services.record_payment(order, decimal(data, "amount"), required(data, "method"),
                                      (data.get("reference") or "").strip(), actor=request.user)
    return JsonResponse({"receipt": payment.number, "amount": str(payment.amount), "order": order.number,
                         "status": order.status}, status=201)
