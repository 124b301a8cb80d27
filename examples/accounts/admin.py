from django.contrib import admin

from examples.accounts.models import Invitation, LoginCode, Profile


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the services only: adding one here would skip its event."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("email", "name", "role", "invited_by", "created_at", "accepted_at")
    list_filter = ("role", ("accepted_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "name")


@admin.register(LoginCode)
class LoginCodeAdmin(ReadOnlyAdmin):
    list_display = ("user", "purpose", "created_at", "expires_at", "used_at")
    list_filter = ("purpose",)
    exclude = ("code_hash",)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    """The phone a user's login codes go to (E.164: the form says how a national number is written)."""

    list_display = ("user", "phone")
    search_fields = ("user__username", "user__email", "phone")
    raw_id_fields = ("user",)
