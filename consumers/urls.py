"""The channels' own endpoints (device registration, the in-app inbox, …), mounted by the project:
`path("comms/", include("consumers.urls"))`. A channel whose package has a `urls` module gets its
patterns under comms/<channel>/; the recipients' preference links are under comms/preferences/."""
from django.urls import include, path

from consumers.channels import channel_modules

app_name = "comms"
urlpatterns = [
    path("preferences/", include("consumers.preference_page.urls")),
    *(path(f"{name}/", include(module)) for name, module in channel_modules("urls").items()),
]
