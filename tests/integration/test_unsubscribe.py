"""One-click unsubscribe and the preference page through the real pipeline: emit → relay → Kafka → `consume email`
(with COMMS_PUBLIC_URL pointing at the live test server) → the SMTP sink. The email's List-Unsubscribe URL,
POSTed as a mail provider does (RFC 8058), opts the address out of that category at once, and the next such
email is SUPPRESSED; in headless Chromium, the footer's link opens the page, a category unticked is saved with
the words the page showed, and a changed link gets a page saying it does not work."""
from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest

from consumers.email.models import EmailLog
from consumers.models import ConsentChange
from outbox import emit
from tests.integration.admin.test_admin_browser import browser_page  # noqa: F401 - the fixture
from tests.integration.conftest import _warm_up
from tests.support.logs import final_email_log as final_log
from tests.support.processes import ManagedProcess

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def linked_pipeline(comms_env, smtp_sink, django_db_blocker, live_server):
    """The relay and an email consumer whose links lead to the live test server."""
    env = {**comms_env, "COMMS_PUBLIC_URL": live_server.url}
    relay, consumer = ManagedProcess("relay", env=env), ManagedProcess("consume", "email", env=env)
    try:
        with django_db_blocker.unblock():
            _warm_up(smtp_sink)
        yield live_server.url
    finally:
        codes = {"relay": relay.stop(), "consumer": consumer.stop()}
        assert codes == {"relay": 0, "consumer": 0}, f"unclean stop {codes}\n{relay.log()}\n{consumer.log()}"


def order(address: str, order_id: str) -> dict:
    return {"order_id": order_id, "customer_email": address, "total": "110.00",
            "items": [{"product": "Mandazi", "quantity": "11", "unit_price": "10.00"}]}


def received(smtp_sink, address: str, count: int = 1):
    smtp_sink.wait_for(lambda r: len([e for e in r if address in e.rcpt_tos]) >= count)
    return smtp_sink.to(address)[count - 1]


def one_click(url: str) -> int:
    """What Gmail's unsubscriber does: a POST of `List-Unsubscribe=One-Click`, no cookies, no CSRF token."""
    request = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_the_one_click_post_opts_out_at_once_and_the_next_email_is_suppressed(linked_pipeline, smtp_sink,
                                                                             unique_email):
    address = unique_email("oneclick")
    assert final_log(emit("sales.order_confirmed", order(address, "ORD-U-1"))).status == EmailLog.Status.SENT
    message = received(smtp_sink, address).message
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    (url,) = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])  # COMMS_UNSUBSCRIBE_MAILTO unset: https only
    assert url.startswith(f"{linked_pipeline}/comms/preferences/") and url.endswith("/unsubscribe/")

    assert one_click(url) == 200
    assert one_click(url) == 200  # idempotent: a repeat changes nothing and records nothing
    (change,) = ConsentChange.objects.filter(recipient=address)
    assert (change.category, change.channel, change.opted_in, change.source) == ("transactional", "email", False, "link")

    later = final_log(emit("sales.order_confirmed", order(address, "ORD-U-2")))
    assert later.status == EmailLog.Status.SUPPRESSED
    assert later.error_message == "not sent: the recipient is opted out of transactional messages by email"
    code = final_log(emit("auth.otp_requested", {"email": address, "name": "Wanjiku", "code": "424242"}))
    assert code.status == EmailLog.Status.SENT  # critical: still sent, and it carries no unsubscribe header
    assert [m.subject for m in smtp_sink.to(address)][-1] == "Your Verification Code - Chesanto Bakery"
    assert smtp_sink.to(address)[-1].message["List-Unsubscribe"] is None
    assert len(smtp_sink.to(address)) == 2  # ORD-U-2 never reached SMTP


def test_a_changed_link_is_refused_with_a_page_not_an_error(linked_pipeline):
    with pytest.raises(urllib.error.HTTPError) as refused:
        one_click(f"{linked_pipeline}/comms/preferences/bm90LWEtdG9rZW4:1abc:xyz/unsubscribe/")
    assert refused.value.code == 403
    assert "This link does not work" in refused.value.read().decode()


def test_the_footer_link_opens_the_page_where_a_category_is_unticked(linked_pipeline, smtp_sink, unique_email,
                                                                     browser_page):  # noqa: F811
    address = unique_email("pagelink")
    assert final_log(emit("sales.order_confirmed", order(address, "ORD-P-1"))).status == EmailLog.Status.SENT
    (link,) = re.findall(r"Choose what you receive, or unsubscribe: (\S+)", received(smtp_sink, address).body("plain"))

    page = browser_page
    page.goto(link)
    assert page.inner_text("#recipient") == address
    transactional, operational = page.locator("#choice-transactional\\.email"), page.locator("#choice-operational\\.email")
    assert transactional.is_checked() and operational.is_checked()
    assert not page.locator("#choice-marketing\\.email").is_checked()  # marketing: opt-in only
    shown = page.locator("label", has=transactional).inner_text().strip()

    transactional.uncheck()
    page.click("button[type=submit]")
    page.wait_for_selector("#saved")
    assert "Your choices are saved." in page.inner_text("#saved")
    assert not page.locator("#choice-transactional\\.email").is_checked()
    assert page.locator("#choice-operational\\.email").is_checked()
    (change,) = ConsentChange.objects.filter(recipient=address)
    assert (change.category, change.opted_in, change.source, change.wording) == ("transactional", False, "link", shown)
    assert shown == "About your orders: confirmations, invoices, receipts and deliveries, by email"

    response = page.goto(link.replace("/comms/preferences/", "/comms/preferences/x"))
    assert response.status == 403
    assert page.inner_text("#refused") == "This link does not work"
