"""Staff-only JSON views over the accounts services (see examples/web.py)."""
from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse

from examples.accounts import services
from examples.web import BadRequest, form, required, staff_post


@staff_post
def invite(request):
    data = form(request)
    invitation = services.invite_user(
        required(data, "email"), required(data, "name"), required(data, "role"),
        login_url=request.build_absolute_uri(reverse("admin:login")), invited_by=request.user,
    )
    return JsonResponse({"invitation": invitation.pk, "user": invitation.user_id, "email": invitation.email,
                         "role": invitation.role}, status=201)


@staff_post
def login_code(request, user_id: int):
    """A login code for the user, to their email and profile phone; who may ask: services.may_send_login_code."""
    user = get_object_or_404(get_user_model(), pk=user_id)
    data = form(request)
    if "phone" in data:  # refused, not ignored: a caller who sends one expects it to be used
        raise BadRequest("'phone' is not accepted: the code goes to the phone on the user's record")
    code = services.request_login_code(user, requested_by=request.user, purpose=data.get("purpose") or "login")
    return JsonResponse({"login_code": code.pk, "purpose": code.purpose, "expires_at": code.expires_at.isoformat()},
                        status=201)
