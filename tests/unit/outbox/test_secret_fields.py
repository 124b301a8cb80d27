"""Which fields are sealed, and what `@register` refuses: a secret emit() cannot seal."""
from __future__ import annotations

from typing import ClassVar, Optional

import pytest
from pydantic import BaseModel, SecretBytes, SecretStr

from outbox.emitter import sealed_payload
from outbox.events import base
from outbox.events.base import EventSchema, register
from outbox.events.categories import Category
from outbox.events.fields import OtpCode
from outbox.secrets import is_sealed, unseal


@pytest.fixture(autouse=True)
def registry(monkeypatch):
    """A registry of the test's own, so these types never join the catalogue."""
    monkeypatch.setattr(base, "_REGISTRY", {})


def schema(name: str, **annotations) -> type[EventSchema]:
    namespace = {"__annotations__": {"email": str, **annotations}, "event_type": f"test.{name}", "key_field": "email",
                 "category": Category.CRITICAL, "__module__": __name__, **{field: None for field in annotations}}
    namespace["__annotations__"].update(event_type=ClassVar[str], key_field=ClassVar[str], category=ClassVar[Category])
    return type(name, (EventSchema,), namespace)


@pytest.mark.parametrize("annotation", [Optional[SecretStr], SecretStr | None, OtpCode | None])
def test_an_optional_secret_is_sealed_when_given(annotation):
    optional = register(schema("OptionalPin", pin=annotation))
    assert optional.secret_fields() == ("pin",)
    given = sealed_payload(optional.parse({"email": "a@example.com", "pin": "4821"}))
    assert is_sealed(given["pin"]) and unseal(given["pin"]) == "4821"
    assert sealed_payload(optional.parse({"email": "a@example.com"}))["pin"] is None
    assert optional.parse({"email": "a@example.com", "pin": "4821"}).revealed()["pin"] == "4821"
    from consumers.sms.compose import MASK, mask_secrets

    assert mask_secrets("pin 4821", optional.parse({"email": "a@example.com", "pin": "4821"})) == f"pin {MASK}"
    assert mask_secrets("no pin", optional.parse({"email": "a@example.com"})) == "no pin"


class Nested(BaseModel):
    pin: SecretStr


class Deeper(BaseModel):
    inner: list[Nested]


@pytest.mark.parametrize("annotation", [
    Nested, Optional[Nested], list[Nested], Deeper, list[SecretStr], dict[str, SecretStr], SecretStr | int,
    SecretBytes, tuple[str, SecretStr],
], ids=repr)
def test_a_secret_that_cannot_be_sealed_is_refused_at_register(annotation):
    with pytest.raises(TypeError, match=r"Leaky\.pin .* holds a secret emit\(\) cannot seal"):
        register(schema("Leaky", pin=annotation))
    assert base._REGISTRY == {}



def test_an_event_type_without_a_category_is_refused_at_register():
    uncategorised = schema("Uncategorised")
    del uncategorised.category
    with pytest.raises(TypeError, match=r"Uncategorised\.category must be one of Category\.CRITICAL"):
        register(uncategorised)
    assert base._REGISTRY == {}

