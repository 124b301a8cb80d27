"""The example business modules on real PostgreSQL; no Kafka needed: what matters is
what each operation leaves in the database, its own rows and the outbox row."""
from __future__ import annotations

import uuid

import pytest
from django.db.models import Max

from outbox.models import OutboxEvent


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Invitations hash a password; the production hasher's slowness is not what is tested here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def new_events(db):
    """The outbox rows written since the test started, oldest first."""
    start = OutboxEvent.objects.aggregate(seq=Max("seq"))["seq"] or 0
    return lambda: list(OutboxEvent.objects.filter(seq__gt=start).order_by("seq"))


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("grace", email="grace.wambui@example.com", password="pw",
                                                 first_name="Grace", last_name="Wambui", is_staff=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def assert_guarded(client, django_user_model, url: str, data: dict) -> None:
    """Anonymous: redirected to the login page; signed in but not staff: 403."""
    response = client.post(url, data)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(django_user_model.objects.create_user(f"baker-{uuid.uuid4().hex[:8]}", password="pw"))
    assert client.post(url, data).status_code == 403
