"""Events as the consumer reads them, and users the inbox delivers to."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from django.contrib.auth import get_user_model

from consumers.events import InboundEvent
from consumers.inbox.channel import InboxChannel
from outbox.events import get_event_type
from tests.support.events import by_address


def inbound(event_type: str, **changes) -> InboundEvent:
    """The sample event, naming its people by address unless `changes` gives their user ids."""
    data = get_event_type(event_type).parse(by_address(event_type, **changes))
    emitted = datetime.now(timezone.utc)
    return InboundEvent(id=uuid.uuid4(), type=event_type, key=data.partition_key(), data=data,
                        headers={"ce_time": emitted.isoformat()}, emitted_at=emitted)


@pytest.fixture
def channel():
    channel = InboxChannel()
    yield channel
    channel.close()


@pytest.fixture
def make_user():
    def make(email: str | None = None, **fields):
        name = fields.pop("username", None) or f"user-{uuid.uuid4().hex[:8]}"
        return get_user_model().objects.create_user(name, email or f"{name}@example.com", **fields)  # no password: hashing is slow
    return make


@pytest.fixture
def add_item():
    """Put an item in a user's feed as the channel does (a log row, then the feed write)."""
    from consumers.inbox import feed
    from consumers.inbox.compose import RenderedItem
    from consumers.inbox.models import Category, InboxItem

    def add(user, title: str = "Low stock: flour", category: Category = Category.STOCK, link: str = "") -> InboxItem:
        entry = InboxItem.objects.create(user=user, event_id=uuid.uuid4(), template="inbox_test")
        seq, _ = feed.enter_feed(entry, RenderedItem(title, f"about {title}", link, category), timeout=5)
        entry.refresh_from_db()
        return entry
    return add
