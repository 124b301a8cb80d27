from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("webhooks/", include("consumers.webhooks.urls")),  # delivery-status callbacks (docs/webhooks.md)
]
