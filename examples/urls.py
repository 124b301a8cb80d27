"""The example modules' views, under /examples/ (config/urls.py)."""
from django.urls import include, path

urlpatterns = [
    path("accounts/", include("examples.accounts.urls")),
    path("sales/", include("examples.sales.urls")),
    path("inventory/", include("examples.inventory.urls")),
]
