"""Users found from the addresses an event carries, for the channels that deliver to users."""
import pytest
from django.contrib.auth import get_user_model

from consumers.recipients import user_ids_for_emails, users_from
from outbox.events import get_event_type
from outbox.events.samples import sample

pytestmark = pytest.mark.django_db


def test_active_users_by_address_in_order_case_insensitive():
    User = get_user_model()
    a = User.objects.create(username="a", email="Achieng@example.com")
    b = User.objects.create(username="b", email="baraka@example.com")
    User.objects.create(username="c", email="gone@example.com", is_active=False)
    assert user_ids_for_emails(["baraka@example.com", "achieng@example.com", "gone@example.com", "nobody@x.io"]) == [
        str(b.pk), str(a.pk)]
    assert user_ids_for_emails([]) == []


def test_users_from_a_field_of_the_event():
    user = get_user_model().objects.create(username="wanjiku", email=sample("auth.security_alert")["email"])
    data = get_event_type("auth.security_alert").parse(sample("auth.security_alert"))
    assert users_from("email")(data) == [str(user.pk)]
