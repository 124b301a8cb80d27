"""An event type is a pydantic model plus its name, version, category and partition-key field.

Adding an event type: subclass `EventSchema` in the domain's module, decorate it
with `@register`. Top-level fields typed `SecretStr` (or `SecretStr | None`; with limits,
as fields.OtpCode) are sealed (encrypted) before they reach the outbox row, Kafka or any
log; `@register` refuses a secret anywhere else (in a list, a nested model, a union),
which would travel in clear text.
"""
from __future__ import annotations

import types
import typing
from functools import cache
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Secret, SecretBytes, SecretStr, ValidationError

from outbox.errors import InvalidEventData, UnknownEventType
from outbox.events.categories import Category
from outbox.limits import NUL_PROBLEM, nul_paths

# Optional fields added after records of their event types were already written (fields.Language): left out
# of a record when unset, so that the record reads exactly as before and a consumer that predates the field
# (whose schema forbids unknown keys) still decodes it during a rolling upgrade.
OMITTED_WHEN_NONE = ("language",)


class EventSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    event_type: ClassVar[str]
    version: ClassVar[int] = 1
    category: ClassVar[Category]  # outbox/events/categories.py
    key_field: ClassVar[str]  # the data field whose value keys the Kafka record (order is kept per key)

    @classmethod
    def domain(cls) -> str:
        return cls.event_type.split(".", 1)[0]

    @classmethod
    def secret_fields(cls) -> tuple[str, ...]:
        """The fields sealed at emit: top-level `SecretStr` or `SecretStr | None`."""
        return _sealed_fields(cls)

    @classmethod
    def parse(cls, data: Any) -> "EventSchema":
        """Validate `data`; raise InvalidEventData naming every bad field."""
        if not isinstance(data, dict):
            raise InvalidEventData(cls.event_type, {"(data)": f"expected a mapping, got {type(data).__name__}"})
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = {}
            for error in exc.errors(include_url=False):
                field = ".".join(str(part) for part in error["loc"]) or "(data)"
                problems[field] = error["msg"]
            for field in nul_paths(data):  # valid but for the NUL: named now too, not after the next try
                problems.setdefault(field, NUL_PROBLEM)
            raise InvalidEventData(cls.event_type, problems) from None

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The payload's JSON Schema, with the type's identity and category (`outbox_schemas` exports these)."""
        return {"$id": f"urn:chesanto:event:{cls.event_type}:v{cls.version}", **cls.model_json_schema(),
                "x-chesanto-event-type": cls.event_type, "x-chesanto-version": cls.version,
                "x-chesanto-category": cls.category.value, "x-chesanto-key": cls.key_field}

    def partition_key(self) -> str:
        return str(getattr(self, self.key_field))

    def revealed(self) -> dict[str, Any]:
        """Field values for templates (dates, decimals as Python objects), with secrets in clear text."""
        data = self.model_dump()
        for name in self.secret_fields():
            if (value := getattr(self, name)) is not None:
                data[name] = value.get_secret_value()
        return data

    def masked(self) -> dict[str, Any]:
        """Field values for logs and the admin: secrets shown as '**********'."""
        return self.model_dump(mode="json")


def _bare(annotation: Any) -> Any:
    return typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation


def _sealable(annotation: Any) -> bool:
    return annotation is SecretStr or (
        typing.get_origin(annotation) in (typing.Union, types.UnionType)
        and {_bare(arg) for arg in typing.get_args(annotation)} == {SecretStr, type(None)})


def _holds_secret(annotation: Any, seen: set[type]) -> bool:
    """Whether a value of this type can contain a secret, at any depth."""
    origin = typing.get_origin(annotation) or annotation
    if isinstance(origin, type):
        if issubclass(origin, (SecretStr, SecretBytes, Secret)):
            return True
        if issubclass(origin, BaseModel) and origin not in seen:
            seen.add(origin)
            return any(_holds_secret(f.annotation, seen) for f in origin.model_fields.values())
    return any(_holds_secret(arg, seen) for arg in typing.get_args(annotation))


@cache
def _sealed_fields(schema: type[EventSchema]) -> tuple[str, ...]:
    return tuple(name for name, f in schema.model_fields.items() if _sealable(f.annotation))


_REGISTRY: dict[str, type[EventSchema]] = {}


def register(schema: type[EventSchema]) -> type[EventSchema]:
    if schema.event_type in _REGISTRY:
        raise ValueError(f"event type {schema.event_type!r} registered twice")
    if not isinstance(getattr(schema, "category", None), Category):
        raise TypeError(f"{schema.__name__}.category must be one of Category.{', Category.'.join(Category.__members__)}")
    if schema.key_field not in schema.model_fields:
        raise TypeError(f"{schema.__name__}.key_field={schema.key_field!r} is not one of its fields")
    for name, field in schema.model_fields.items():
        if not _sealable(field.annotation) and _holds_secret(field.annotation, set()):
            raise TypeError(
                f"{schema.__name__}.{name} ({field.annotation!r}) holds a secret emit() cannot seal: it would reach "
                "the outbox in clear text; make each secret a top-level field typed SecretStr or SecretStr | None")
    _REGISTRY[schema.event_type] = schema
    return schema


def get_event_type(event_type: str) -> type[EventSchema]:
    try:
        return _REGISTRY[event_type]
    except KeyError:
        raise UnknownEventType(event_type, list(_REGISTRY)) from None


def event_types() -> dict[str, type[EventSchema]]:
    return dict(_REGISTRY)


def domains() -> list[str]:
    return sorted({schema.domain() for schema in _REGISTRY.values()})
