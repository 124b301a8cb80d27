"""An event type is a pydantic model plus its name, version and partition-key field.

Adding an event type: subclass `EventSchema` in the domain's module, decorate it
with `@register`. Fields typed `SecretStr` are sealed (encrypted) before they reach
the outbox row, Kafka or any log.
"""
from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from outbox.errors import InvalidEventData, UnknownEventType


class EventSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    event_type: ClassVar[str]
    version: ClassVar[int] = 1
    key_field: ClassVar[str]  # the data field whose value keys the Kafka record (order is kept per key)

    @classmethod
    def domain(cls) -> str:
        return cls.event_type.split(".", 1)[0]

    @classmethod
    def secret_fields(cls) -> tuple[str, ...]:
        return tuple(n for n, f in cls.model_fields.items() if f.annotation is SecretStr)

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
            raise InvalidEventData(cls.event_type, problems) from None

    def partition_key(self) -> str:
        return str(getattr(self, self.key_field))

    def revealed(self) -> dict[str, Any]:
        """Field values for templates (dates, decimals as Python objects), with secrets in clear text."""
        data = self.model_dump()
        for name in self.secret_fields():
            data[name] = getattr(self, name).get_secret_value()
        return data

    def masked(self) -> dict[str, Any]:
        """Field values for logs and the admin: secrets shown as '**********'."""
        return self.model_dump(mode="json")


_REGISTRY: dict[str, type[EventSchema]] = {}


def register(schema: type[EventSchema]) -> type[EventSchema]:
    if schema.event_type in _REGISTRY:
        raise ValueError(f"event type {schema.event_type!r} registered twice")
    if schema.key_field not in schema.model_fields:
        raise TypeError(f"{schema.__name__}.key_field={schema.key_field!r} is not one of its fields")
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
