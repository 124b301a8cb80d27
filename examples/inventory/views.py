"""Staff-only JSON views over the inventory services (see examples/web.py)."""
from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from examples.inventory import services
from examples.inventory.models import Product
from examples.web import decimal, form, required, staff_post


@staff_post
def move(request, product_id: int):
    product = get_object_or_404(Product, pk=product_id)
    data = form(request)
    movement = services.record_movement(product, decimal(data, "change"), required(data, "reason"), by=request.user)
    return JsonResponse({"movement": movement.pk, "product": product.sku, "stock": str(movement.stock_after),
                         "raised_alert": movement.raised_alert}, status=201)
