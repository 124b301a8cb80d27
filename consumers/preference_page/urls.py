"""Mounted at /comms/preferences/ (consumers/urls.py): the signed links in messages."""
from django.urls import path

from consumers.preference_page import views

app_name = "preferences"
urlpatterns = [
    path("<str:token>/", views.page, name="page"),
    path("<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
]
