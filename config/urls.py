from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config import health

admin.site.site_header = "Chesanto Communications"
admin.site.site_title = "Chesanto Communications"
admin.site.index_title = "Outbox, deliveries and templates"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz),  # the container's healthcheck
    path("webhooks/", include("consumers.webhooks.urls")),  # delivery-status callbacks (docs/webhooks.md)
    path("comms/", include("consumers.urls")),  # the channels' own endpoints (device tokens, the inbox)
]
if settings.EXAMPLES_ENABLED:  # the example business modules' staff views
    urlpatterns.append(path("examples/", include("examples.urls")))
