"""The inbox API with Django's test client: who may see and change what, pagination, errors."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client

from consumers.inbox.models import InboxItem

pytestmark = pytest.mark.django_db

BASE = "/comms/inbox/"


@pytest.fixture
def user(make_user):
    return make_user("grace@example.com")


@pytest.fixture
def client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("method, path", [
    ("get", "items/"), ("get", "unread-count/"), ("post", "items/1/read/"), ("post", "items/1/archive/"),
    ("post", "read-all/"), ("get", "stream/"),
])
def test_anonymous_requests_get_401_json_not_a_redirect(method, path):
    response = getattr(Client(), method)(BASE + path)
    assert response.status_code == 401 and response["Content-Type"] == "application/json"
    assert response.json() == {"error": "log in first: the inbox API uses the session of a logged-in user"}
    assert response["WWW-Authenticate"] == 'Session realm="inbox"'


def test_the_page_sends_an_anonymous_visitor_to_log_in():
    response = Client().get(BASE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/comms/inbox/")


def test_the_page_for_a_logged_in_user(client):
    response = client.get(BASE)
    assert response.status_code == 200 and b'id="unread-count"' in response.content
    assert b'stream: "/comms/inbox/stream/"' in response.content


def test_a_list_shows_only_the_users_own_items_newest_first(client, user, make_user, add_item):
    other = make_user("other@example.com")
    first, second = add_item(user, "first"), add_item(user, "second")
    add_item(other, "not yours")
    InboxItem.objects.create(user=user, template="never_sent", status="RENDER_FAILED")  # a log row, not in the feed
    body = client.get(BASE + "items/").json()
    assert [item["title"] for item in body["items"]] == ["second", "first"]
    assert body["unread_count"] == 2 and body["next"] is None
    assert body["items"][0] == {
        "id": second.feed_seq, "title": "second", "body": "about second", "link": "", "category": "stock",
        "created_at": second.sent_at.isoformat(), "read_at": None, "archived_at": None}
    assert first.feed_seq < second.feed_seq


def test_pages_follow_the_cursor_and_new_items_never_shift_them(client, user, add_item):
    items = [add_item(user, f"n{i}") for i in range(5)]
    page1 = client.get(BASE + "items/?limit=2").json()
    assert [i["title"] for i in page1["items"]] == ["n4", "n3"]
    add_item(user, "arrived meanwhile")
    page2 = client.get(page1["next"]).json()
    assert [i["title"] for i in page2["items"]] == ["n2", "n1"]
    assert page1["next"] == f"/comms/inbox/items/?state=inbox&limit=2&before={items[3].feed_seq}"
    page3 = client.get(page2["next"]).json()
    assert [i["title"] for i in page3["items"]] == ["n0"] and page3["next"] is None


def test_the_default_page_size_is_a_setting(client, user, add_item, settings):
    settings.INBOX_PAGE_SIZE = 2
    for i in range(3):
        add_item(user, f"n{i}")
    assert len(client.get(BASE + "items/").json()["items"]) == 2


@pytest.mark.parametrize("query, error", [
    ("limit=0", "limit='0': give a whole number from 1 to 100"),
    ("limit=101", "limit='101': give a whole number from 1 to 100"),
    ("limit=ten", "limit='ten': give a whole number from 1 to 100"),
    ("before=-3", "before='-3': give a whole number 1 or more"),
    ("state=deleted", "state='deleted': use one of inbox, unread, archived, all"),
])
def test_a_bad_parameter_is_a_400_that_names_it(client, query, error):
    response = client.get(BASE + "items/?" + query)
    assert response.status_code == 400 and response.json() == {"error": error}


def test_mark_one_read_keeps_the_first_time_and_the_count_drops(client, user, add_item):
    item, _ = add_item(user), add_item(user)
    answer = client.post(BASE + f"items/{item.feed_seq}/read/").json()
    assert answer["unread_count"] == 1 and answer["item"]["read_at"]
    again = client.post(BASE + f"items/{item.feed_seq}/read/").json()
    assert again["item"]["read_at"] == answer["item"]["read_at"]
    assert client.get(BASE + "unread-count/").json() == {"unread_count": 1}
    assert InboxItem.objects.get(pk=item.pk).read_at is not None


def test_another_users_item_is_not_found(client, make_user, add_item):
    theirs = add_item(make_user("other@example.com"))
    for action in ("read", "archive"):
        response = client.post(BASE + f"items/{theirs.feed_seq}/{action}/")
        assert response.status_code == 404 and response.json() == {"error": f"you have no inbox item {theirs.feed_seq}"}
    assert InboxItem.objects.get(pk=theirs.pk).read_at is None and InboxItem.objects.get(pk=theirs.pk).archived_at is None
    assert client.post(BASE + "items/999999999/read/").status_code == 404


def test_mark_all_read(client, user, make_user, add_item):
    mine = [add_item(user) for _ in range(3)]
    theirs = add_item(make_user("other@example.com"))
    assert client.post(BASE + "read-all/").json() == {"marked": 3, "unread_count": 0}
    assert client.post(BASE + "read-all/").json() == {"marked": 0, "unread_count": 0}
    assert all(InboxItem.objects.get(pk=i.pk).read_at for i in mine)
    assert InboxItem.objects.get(pk=theirs.pk).read_at is None


def test_archive_moves_an_item_out_of_the_inbox_and_the_count(client, user, add_item):
    add_item(user, "kept")
    archived = add_item(user, "archived")
    answer = client.post(BASE + f"items/{archived.feed_seq}/archive/").json()
    assert answer["item"]["archived_at"] and answer["unread_count"] == 1
    titles = lambda state: [i["title"] for i in client.get(BASE + f"items/?state={state}").json()["items"]]  # noqa: E731
    assert titles("inbox") == ["kept"] and titles("archived") == ["archived"]
    assert titles("unread") == ["kept"] and titles("all") == ["archived", "kept"]


def test_a_post_needs_the_csrf_token(user, add_item):
    item = add_item(user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(BASE + f"items/{item.feed_seq}/read/").status_code == 403
    client.get(BASE)  # the page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    assert client.post(BASE + f"items/{item.feed_seq}/read/", headers={"X-CSRFToken": token}).status_code == 200


def test_the_wrong_method_is_a_405_that_says_which(client, user, add_item):
    item = add_item(user)
    response = client.get(BASE + f"items/{item.feed_seq}/read/")
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert response.json() == {"error": "GET is not allowed here; use POST"}
    assert client.post(BASE + "items/").status_code == 405


def test_a_bad_last_event_id_is_a_400(client):
    response = client.get(BASE + "stream/", headers={"Last-Event-ID": "yesterday"})
    assert response.status_code == 400
    assert response.json() == {"error": "Last-Event-ID='yesterday': give a whole number 0 or more"}


# "²" and "١" (Arabic-Indic one) are digits to str.isdigit() but int() refuses "²": they must be a 400, never a 500.
@pytest.mark.parametrize("digits", ["\u00b2", "1\u00b2", "\u0661"])
def test_non_ascii_digits_are_a_400(client, digits):
    for path, name in (("items/?before=", "before"), ("items/?limit=", "limit"), ("stream/?after=", "after")):
        response = client.get(BASE + path + quote(digits))
        assert response.status_code == 400, (name, response.status_code)
        assert response.json()["error"].startswith(f"{name}={digits!r}: give a whole number")
    response = client.get(BASE + "stream/", headers={"Last-Event-ID": digits})
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"Last-Event-ID={digits!r}: give a whole number")
