from django.urls import path

from examples.accounts import views

app_name = "example_accounts"
urlpatterns = [
    path("invitations/", views.invite, name="invite"),
    path("users/<int:user_id>/login-code/", views.login_code, name="login_code"),
]
