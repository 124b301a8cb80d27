"""Two one-click unsubscribes of one recipient at once (a mail provider's POST racing the recipient's click):
with a pause injected between reading the preference and recording the change, each request would read
"opted in" and both would record an opt-out; the recipient's lock makes the second read the first's change, so
the consent record gains one row."""
from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from consumers import preferences
from consumers.models import ConsentChange
from consumers.preference_links import Link
from consumers.preference_page import choices
from outbox.events.categories import Category

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_two_one_click_posts_at_once_record_one_opt_out(monkeypatch):
    link = Link("racer@example.com", "email", Category.OPERATIONAL)
    real_get = preferences.get

    def slow_get(*args, **kwargs):
        state = real_get(*args, **kwargs)
        time.sleep(0.5)  # the fault: a slow moment between the read and the write
        return state

    monkeypatch.setattr(preferences, "get", slow_get)
    start = threading.Barrier(2)
    results, errors = [], []

    def post():
        try:
            start.wait()
            results.append(choices.unsubscribe(link))
        except Exception as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert sorted(result is None for result in results) == [False, True]  # one recorded, one found it done
    assert list(ConsentChange.objects.filter(recipient=link.key).values_list("opted_in", flat=True)) == [False]
