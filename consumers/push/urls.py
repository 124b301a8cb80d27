"""Mounted at /comms/push/ (consumers/urls.py): the mobile app's device-token endpoints and its token."""
from django.urls import path

from consumers.push import views

app_name = "push"
urlpatterns = [
    path("devices/", views.device_list, name="devices"),
    path("devices/unregister/", views.device_unregister, name="device_unregister"),
    path("devices/<str:token>/", views.device_detail, name="device"),
    path("app-token/", views.app_token, name="app_token"),
]
