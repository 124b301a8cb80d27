"""Delivery-status callbacks, mounted under /webhooks/ (docs/webhooks.md lists what to give each provider).

Each installed channel app's `webhooks` module (with `urlpatterns`) is mounted at its webhooks_route:
/webhooks/<channel>/ unless the app says otherwise (consumers/channel_app.py). The email and SMS apps
mount theirs at /webhooks/ itself, so the URLs providers' dashboards hold stay as they were.
"""
from django.urls import include, path

from consumers.channels import installed

app_name = "webhooks"
urlpatterns = [
    path(app.webhooks_route, include(module)) for app in installed().values() if (module := app.submodule("webhooks"))
]
