"""examples.accounts: an invitation and a login code, each with exactly one outbox row."""
from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from examples.accounts.models import Invitation, LoginCode
from examples.accounts.services import (
    AlreadyRegistered,
    InvalidPhone,
    NotAllowed,
    invite_user,
    may_send_login_code,
    request_login_code,
    set_phone,
    verify_login_code,
)
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
    set_phone(staff, "+254712345678")
    login_code = request_login_code(staff, requested_by=staff)
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
    request_login_code(staff, requested_by=staff)
    request_login_code(staff, requested_by=staff)
    first, second = (unseal(row.payload["code"]) for row in new_events())
    assert LoginCode.objects.filter(user=staff).count() == 1
    assert verify_login_code(staff, second)
    assert first == second or not verify_login_code(staff, first)


def test_a_phone_is_kept_in_e164_and_an_invalid_one_is_refused(staff, new_events):
    assert set_phone(staff, "0712 345 678").phone == "+254712345678"  # a national number, read in KE
    with pytest.raises(InvalidPhone, match="digits other than ASCII"):
        set_phone(staff, "+254٧١٢345678")
    staff.example_profile.refresh_from_db()
    assert staff.example_profile.phone == "+254712345678" and new_events() == []


def test_without_a_phone_on_record_the_code_goes_by_email_only(staff, new_events):
    request_login_code(staff, requested_by=staff)
    [row] = new_events()
    assert (row.payload["email"], row.payload["phone"]) == (staff.email, None)


def test_a_user_with_neither_email_nor_phone_gets_no_code(django_user_model, new_events):
    nobody = django_user_model.objects.create_user("nobody")
    with pytest.raises(InvalidEventData, match="give an email, a phone, or both"):
        request_login_code(nobody, requested_by=nobody)
    assert not LoginCode.objects.exists() and new_events() == []


def grant_send_login_code(user):
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="send_login_code"))
    return get_user_model().objects.get(pk=user.pk)  # a fresh instance: Django caches permissions


def test_who_may_have_a_code_sent_to_whom(staff, django_user_model):
    other = django_user_model.objects.create_user("otieno", email="otieno@example.com", is_staff=True)
    root = django_user_model.objects.create_superuser("root", email="root@example.com", password="pw")
    other_root = django_user_model.objects.create_superuser("root2", email="root2@example.com", password="pw")
    assert may_send_login_code(staff, staff) and may_send_login_code(root, root)  # oneself: always
    assert not may_send_login_code(staff, other)  # staff alone is not enough
    assert not may_send_login_code(staff, root)
    permitted = grant_send_login_code(staff)
    assert may_send_login_code(permitted, other)  # the explicit permission
    assert not may_send_login_code(permitted, root)  # ... never covers a superuser
    assert may_send_login_code(root, other) and not may_send_login_code(other_root, root)


def test_a_code_for_someone_else_is_refused_before_anything_is_written(staff, django_user_model, new_events):
    root = django_user_model.objects.create_superuser("root", email="root@example.com", password="pw")
    set_phone(root, "+254799000111")
    with pytest.raises(NotAllowed, match="only a superuser may ask for their own"):
        request_login_code(root, requested_by=grant_send_login_code(staff))
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


def post_login_code(client, user, data=None):
    return client.post(reverse("example_accounts:login_code", args=[user.pk]), json.dumps(data or {}),
                       content_type="application/json")


def test_login_code_view_sends_to_the_phone_on_record_never_to_one_in_the_request(client, staff, django_user_model,
                                                                                   new_events):
    target = django_user_model.objects.create_user("otieno", email="otieno@example.com", first_name="Otieno")
    set_phone(target, "+254722334455")
    client.force_login(grant_send_login_code(staff))
    refused = post_login_code(client, target, {"phone": "+254799999999"})  # an attacker's phone
    assert refused.status_code == 400 and "phone on the user's record" in refused.json()["error"]
    assert new_events() == []
    assert post_login_code(client, target).status_code == 201
    [row] = new_events()
    assert (row.payload["email"], row.payload["phone"]) == ("otieno@example.com", "+254722334455")
    assert row.headers["actor"] == str(staff.pk)


def test_login_code_view_refuses_staff_for_another_user_or_a_superuser(staff_client, staff, django_user_model,
                                                                      new_events):
    target = django_user_model.objects.create_user("otieno", email="otieno@example.com")
    root = django_user_model.objects.create_superuser("root", email="root@example.com", password="pw")
    for user in (target, root):
        response = post_login_code(staff_client, user)
        assert response.status_code == 403 and "may not have a login code sent" in response.json()["error"]
    assert new_events() == [] and not LoginCode.objects.exists()
    assert post_login_code(staff_client, staff).status_code == 201  # their own
    assert [row.aggregateid for row in new_events()] == [staff.email]


def test_views_check_csrf_as_django_does(staff, new_events):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    data = {"email": "kiprono@example.com", "name": "Kiprono Langat", "role": "Salesman"}
    assert client.post(reverse("example_accounts:invite"), data).status_code == 403
    assert new_events() == []
    client.cookies["csrftoken"] = token = "a" * 32
    assert client.post(reverse("example_accounts:invite"), data, HTTP_X_CSRFTOKEN=token).status_code == 201
