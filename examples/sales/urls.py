from django.urls import path

from examples.sales import views

app_name = "example_sales"
urlpatterns = [
    path("orders/<int:order_id>/confirm/", views.confirm, name="confirm"),
    path("orders/<int:order_id>/payments/", views.pay, name="pay"),
]
