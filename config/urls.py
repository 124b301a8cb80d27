from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Chesanto Communications"
admin.site.site_title = "Chesanto Communications"
admin.site.index_title = "Outbox, deliveries and templates"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("examples/", include("examples.urls")),  # the example business modules' views
    path("webhooks/", include("consumers.webhooks.urls")),  # delivery-status callbacks (docs/webhooks.md)
]
