"""examples.accounts: an invitation and a login code, each with exactly one outbox row."""
from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from examples.accounts.models import Invitation, LoginCode
from examples.accounts.services import AlreadyRegistered, invite_user, request_login_code, verify_login_code
from outbox import InvalidEventData
from outbox.secrets import is_sealed, unseal
from tests.integration.examples.conftest import assert_guarded

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

LOGIN_URL = "https://bms.chesanto.test/login"


def invite(staff, email="wanjiku@example.com"):
    return invite_user(email, "Wanjiku Kamau", "Salesman", LOGIN_URL, invited_by=staff)


def test_invite_writes_user_invitation_and_one_sealed_event(staff, new_events):
    invitation = invite(staff)
    user = invitation.user
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "wanjiku@example.com", "wanjiku@example.com", "Wanjiku", "Kamau")
    assert user.is_active and user.has_usable_password()
    assert (invitation.role, invitation.invited_by, invitation.accepted_at) == ("Salesman", staff, None)
    [row] = new_events()
    assert (row.type, row.aggregateid, row.headers["actor"]) == ("auth.user_invited", "wanjiku@example.com", str(staff.pk))
    stored = json.dumps(row.payload)
    password = row.payload.pop("temp_password")
    assert row.payload == {"email": "wanjiku@example.com", "name": "Wanjiku Kamau", "role": "Salesman",
                           "login_url": LOGIN_URL}
    assert is_sealed(password) and unseal(password) not in stored
    assert user.check_password(unseal(password))  # the emailed password is the user's, stored only hashed


def test_the_emailed_password_logs_in_and_accepts_the_invitation(staff, new_events):
    invitation = invite(staff)
    password = unseal(new_events()[0].payload["temp_password"])
    assert Client().login(username="wanjiku@example.com", password=password)
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_an_invalid_email_writes_no_user_no_invitation_no_event(staff, new_events):
    with pytest.raises(InvalidEventData, match="email"):
        invite(staff, email="not-an-address")
    assert not get_user_model().objects.filter(username="not-an-address").exists()
    assert not Invitation.objects.exists() and new_events() == []


def test_inviting_an_existing_address_is_refused_and_emits_nothing(staff, new_events):
    invite(staff)
    with pytest.raises(AlreadyRegistered, match="already has an account"):
        invite(staff, email="Wanjiku@EXAMPLE.com")
    assert Invitation.objects.count() == 1 and len(new_events()) == 1


def test_login_code_keeps_a_hash_and_emits_the_code_sealed_by_email_and_sms(staff, new_events):
    login_code = request_login_code(staff, phone="+254712345678")
    [row] = new_events()
    assert (row.type, row.aggregateid) == ("auth.otp_requested", staff.email)
    stored = json.dumps(row.payload)
    sealed = row.payload.pop("code")
    assert row.payload == {"email": staff.email, "phone": "+254712345678", "name": "Grace Wambui",
                           "purpose": "login", "expiry_minutes": 10}
    code = unseal(sealed)
    assert is_sealed(sealed) and code.isdigit() and len(code) == 6 and code not in stored
    assert login_code.matches(code) and not login_code.matches(f"{(int(code) + 1) % 10**6:06d}")
    assert verify_login_code(staff, code) and not verify_login_code(staff, code)  # once only


def test_a_new_login_code_replaces_the_unused_one(staff, new_events):
    request_login_code(staff)
    request_login_code(staff)
    first, second = (unseal(row.payload["code"]) for row in new_events())
    assert LoginCode.objects.filter(user=staff).count() == 1
    assert verify_login_code(staff, second)
    assert first == second or not verify_login_code(staff, first)


def test_an_invalid_phone_writes_no_code_and_no_event(staff, new_events):
    with pytest.raises(InvalidEventData, match="phone"):
        request_login_code(staff, phone="0712 345 678")  # not E.164
    assert not LoginCode.objects.exists() and new_events() == []


def test_views_refuse_anonymous_and_non_staff(client, django_user_model, new_events):
    target = django_user_model.objects.create_user("otieno", email="otieno@example.com")
    assert_guarded(client, django_user_model, reverse("example_accounts:invite"),
                   {"email": "x@example.com", "name": "X", "role": "Baker"})
    assert_guarded(Client(), django_user_model, reverse("example_accounts:login_code", args=[target.pk]), {})
    assert new_events() == [] and not Invitation.objects.exists()


def test_invite_view_for_staff(staff_client, new_events):
    response = staff_client.post(reverse("example_accounts:invite"),
                                 {"email": "achieng@example.com", "name": "Achieng Atieno", "role": "Dispatch Officer"})
    assert response.status_code == 201 and response.json()["email"] == "achieng@example.com"
    [row] = new_events()
    assert row.payload["login_url"] == "http://testserver/admin/login/"
    bad = staff_client.post(reverse("example_accounts:invite"), {"email": "nope", "name": "N", "role": "Baker"})
    assert bad.status_code == 400 and "email" in bad.json()["fields"]
    again = staff_client.post(reverse("example_accounts:invite"),
                              {"email": "achieng@example.com", "name": "Achieng", "role": "Baker"})
    assert again.status_code == 409 and len(new_events()) == 1


def test_login_code_view_for_staff(staff_client, django_user_model, new_events):
    target = django_user_model.objects.create_user("otieno", email="otieno@example.com", first_name="Otieno")
    response = staff_client.post(reverse("example_accounts:login_code", args=[target.pk]),
                                 json.dumps({"phone": "+254722334455"}), content_type="application/json")
    assert response.status_code == 201
    [row] = new_events()
    assert (row.payload["email"], row.payload["phone"]) == ("otieno@example.com", "+254722334455")


def test_views_check_csrf_as_django_does(staff, new_events):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    data = {"email": "kiprono@example.com", "name": "Kiprono Langat", "role": "Salesman"}
    assert client.post(reverse("example_accounts:invite"), data).status_code == 403
    assert new_events() == []
    client.cookies["csrftoken"] = token = "a" * 32
    assert client.post(reverse("example_accounts:invite"), data, HTTP_X_CSRFTOKEN=token).status_code == 201
