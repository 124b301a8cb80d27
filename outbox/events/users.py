"""How an event names the users of the project: by id, beside an address.

The channels that deliver to users (the in-app inbox, push) deliver to the users an event names
by id, and look an address up only when no id is given (consumers/recipients.py: an address then
names a user only when exactly one active user has it; `User.email` is neither unique nor verified).
"""
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints, WithJsonSchema


def _user_id_text(value: object) -> object:
    if isinstance(value, bool):  # True is an int to Python, never a user's id
        raise ValueError("a user's id is an integer or text, not a boolean")
    return str(value) if isinstance(value, int) else value


# A user by primary key: an integer (or its text; a project whose user model has UUID or text keys
# gives those), carried as text. No space in it: push's log writes "user <id> (no device)" where a
# device token would be (consumers/push/recipients.py).
UserId = Annotated[str, BeforeValidator(_user_id_text),
                   StringConstraints(min_length=1, max_length=64, pattern=r"^\S+$"),
                   WithJsonSchema({"type": ["integer", "string"]})]


def user_of(address_field: str) -> Any:
    """An optional `UserId` field naming the user an address field belongs to."""
    return Field(default=None, description=(
        f"the id of the user `{address_field}` belongs to: the in-app inbox and push deliver to this user. Give it "
        f"whenever the business knows it; without it they look `{address_field}` up and deliver only when exactly "
        "one active user has that address (case-insensitive), never to a guess"))


def users_of(list_field: str, max_length: int) -> Any:
    """An optional list of `UserId`s naming the users among a list of addresses."""
    return Field(default=None, max_length=max_length, description=(
        f"the ids of the users among `{list_field}`: when given, the in-app inbox and push deliver to exactly these "
        f"users and look up no address of `{list_field}`. Without it they look each address up and deliver only to "
        "one that exactly one active user has (case-insensitive), never to a guess"))
