from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "examples.accounts"
    label = "example_accounts"  # "auth" is django.contrib.auth's
    verbose_name = "Example: accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from examples.accounts.services import mark_invitation_accepted

        user_logged_in.connect(mark_invitation_accepted, dispatch_uid="example_accounts.invitation_accepted")
