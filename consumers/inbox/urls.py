"""The inbox's endpoints, under /comms/inbox/ (consumers/urls.py mounts a channel's `urls`)."""
from django.urls import path

from consumers.inbox import views

app_name = "inbox"
urlpatterns = [
    path("", views.page, name="page"),
    path("items/", views.item_list, name="items"),
    path("items/<int:item_id>/read/", views.mark_read, name="read"),
    path("items/<int:item_id>/archive/", views.archive, name="archive"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("unread-count/", views.unread_count, name="unread_count"),
    path("stream/", views.live, name="stream"),
    path("preferences/", views.preferences, name="preferences"),
]
