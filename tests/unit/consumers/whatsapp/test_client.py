"""The Cloud API client against the local server: what Meta answers becomes Sent or a classified error."""
from __future__ import annotations

import pytest

from chesanto_comms.embedded.provider_api import Outcome
from chesanto_comms.embedded.whatsapp import ServerTemplate, WhatsAppCloudServer
from consumers.providers import TransientError
from consumers.whatsapp.client import CloudApiClient, WhatsAppConfigError
from consumers.whatsapp.errors import MetaBusy, MetaRefused
from tests.unit.consumers.whatsapp.conftest import client_for


def text(to: str = "254712345678") -> dict:
    return {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "Karibu"}}


def template(name: str = "chesanto_delivery_update", parameters=("ORD-1", "14:30", "Baraka"), to="254712345678") -> dict:
    return {"messaging_product": "whatsapp", "to": to, "type": "template", "template": {
        "name": name, "language": {"code": "en"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}]}}


def test_an_accepted_message_is_sent_with_its_wamid(client, cloud_server):
    sent = client.send(template())
    (request,) = cloud_server.to("+254712345678")
    assert sent.provider_message_id.startswith("wamid.") and sent.provider == "meta"
    assert sent.provider_message_id in request.answer
    assert request.headers["authorization"] == f"Bearer {cloud_server.access_token}"
    assert request.path == f"/v23.0/{cloud_server.phone_number_id}/messages"


def test_one_connection_is_kept_for_many_messages(client, cloud_server):
    for _ in range(3):
        client.send(template())
    assert len(cloud_server.connections) == 1


def test_a_wrong_token_is_transient_and_says_what_to_renew(cloud_server):
    with pytest.raises(MetaBusy, match="error 190: .*Invalid OAuth access token.*renew WHATSAPP_ACCESS_TOKEN") as caught:
        client_for(cloud_server, access_token="expired").send(template())
    assert caught.value.code == 190


def test_an_unknown_phone_number_id_is_permanent(cloud_server):
    with pytest.raises(MetaRefused, match="error 100: .*Object with ID '999' does not exist"):
        client_for(cloud_server, phone_number_id="999").send(template())


def test_a_template_not_approved_is_a_clear_permanent_error(cloud_server):
    cloud_server.templates[("chesanto_delivery_update", "en")] = ServerTemplate(
        "chesanto_delivery_update", "en", "UTILITY", "Order {{1}} at {{2}} with {{3}}.", status="PENDING")
    with pytest.raises(MetaRefused, match=r"HTTP 404 error 132001: \(#132001\) Template name does not exist in the "
                                          r"translation; template name \(chesanto_delivery_update\) does not exist in en"
                                          r" \(template does not exist in this language, or is not approved yet"):
        client_for(cloud_server).send(template())
    with pytest.raises(MetaRefused, match="132001"):
        client_for(cloud_server).send(template(name="no_such_template"))


def test_a_parameter_count_mismatch_is_permanent(client):
    with pytest.raises(MetaRefused, match=r"error 132000: .*localizable_params \(2\) does not match the expected "
                                          r"number of params \(3\)") as caught:
        client.send(template(parameters=("ORD-1", "14:30")))
    assert caught.value.status == "FAILED"


@pytest.mark.parametrize("code", [130429, 131048, 131056, 80007, 4, 131000])
def test_rate_limits_and_meta_errors_are_transient(client, cloud_server, code):
    cloud_server.script_failures("+254712345678", code)
    with pytest.raises(MetaBusy, match=f"error {code}"):
        client.send(template())
    assert client.send(template()).provider_message_id  # the next one goes


def test_a_proxys_error_page_is_classified_by_its_http_status(client, cloud_server):
    cloud_server.script("+254712345678", Outcome(http_status=502))
    with pytest.raises(MetaBusy, match="HTTP 502 error None: <html>"):
        client.send(template())


def test_a_timeout_is_transient(cloud_server):
    cloud_server.script("+254712345678", Outcome(delay=1.0))
    with pytest.raises(TransientError, match="no answer within WHATSAPP_TIMEOUT=0.3s"):
        client_for(cloud_server, timeout=0.3).send(template())


def test_missing_credentials_are_a_configuration_error(cloud_server):
    with pytest.raises(WhatsAppConfigError, match="WHATSAPP_ACCESS_TOKEN is empty"):
        client_for(cloud_server, access_token="")
    with pytest.raises(WhatsAppConfigError, match="WHATSAPP_PHONE_NUMBER_ID is empty"):
        CloudApiClient(access_token="t", phone_number_id="", base_url="http://x", version="v23.0", timeout=1)


def test_the_business_accounts_templates_are_read_page_by_page(cloud_server):
    cloud_server.templates.update({(f"extra_{n}", "en"): ServerTemplate(f"extra_{n}", "en", "MARKETING", "Hi {{1}}")
                                   for n in range(150)})
    found = client_for(cloud_server).approved_templates()
    assert len(found) == 154 and len(cloud_server.requests) == 2
    assert found[("chesanto_payment_receipt", "en")].body_parameters == 5
    assert found[("chesanto_login_code", "en")].status == "APPROVED"



def test_the_local_servers_templates_are_the_channels_defaults():
    from consumers.whatsapp.notifications import by_name

    server = {(t.name, t.language): t for t in WhatsAppCloudServer().templates.values()}
    for notification in by_name().values():
        config = notification.options["template"]
        approved = server[(config.name, config.language)]
        assert (approved.category, approved.body_parameters) == (config.category, len(config.body))
        assert approved.url_buttons == tuple(b.index for b in config.buttons if b.sub_type == "url")
