from django.urls import path

from examples.inventory import views

app_name = "example_inventory"
urlpatterns = [
    path("products/<int:product_id>/movements/", views.move, name="move"),
]
