"""The local provider servers refuse what the real APIs refuse, and record what they got."""
from __future__ import annotations

import requests

from chesanto_comms.embedded.sms import AfricasTalkingServer, TwilioServer


def test_africastalking_checks_the_api_key_the_username_and_required_fields():
    with AfricasTalkingServer() as server, requests.Session() as http:
        url = f"{server.url}/version1/messaging"
        form = {"username": server.username, "to": "+254712345678", "message": "hi"}
        assert http.post(url, data=form, headers={"apiKey": "nope"}).status_code == 401
        assert http.post(url, data={**form, "username": "other"}, headers={"apiKey": server.api_key}).status_code == 401
        missing = http.post(url, data={**form, "message": ""}, headers={"apiKey": server.api_key})
        assert (missing.status_code, missing.text) == (400, "Request is missing required form field 'message'")
        assert http.get(url, headers={"apiKey": server.api_key}).status_code == 405
        assert http.post(f"{server.url}/version1/other", data=form).status_code == 404
        assert [r.status for r in server.requests] == [401, 401, 400, 405, 404]


def test_africastalking_answers_each_recipient_of_a_bulk_send():
    with AfricasTalkingServer() as server:
        body = requests.post(f"{server.url}/version1/messaging", headers={"apiKey": server.api_key, "Accept": "application/json"},
                             data={"username": server.username, "to": "+254712345678,+254700000406", "message": "hi"}).json()
    data = body["SMSMessageData"]
    assert data["Message"] == "Sent to 1/2 Total Cost: KES 0.8000"
    assert [(r["statusCode"], r["status"], r["cost"]) for r in data["Recipients"]] == [
        (101, "Success", "KES 0.8000"), (406, "UserInBlacklist", "0")]
    assert server.to("+254700000406") == server.requests


def test_twilio_checks_basic_auth_and_required_fields():
    with TwilioServer() as server, requests.Session() as http:
        url = f"{server.url}/2010-04-01/Accounts/{server.username}/Messages.json"
        auth = (server.username, server.api_key)
        form = {"To": "+254712345678", "From": "CHESANTO", "Body": "hi"}
        unauthorised = http.post(url, data=form, auth=(server.username, "nope"))
        assert (unauthorised.status_code, unauthorised.json()["code"]) == (401, 20003)
        other_account = f"{server.url}/2010-04-01/Accounts/AC999/Messages.json"
        assert http.post(other_account, data=form, auth=auth).status_code == 401
        for field, code in (("To", 21604), ("From", 21603), ("Body", 21602)):
            answer = http.post(url, data={**form, field: ""}, auth=auth)
            assert (answer.status_code, answer.json()["code"]) == (400, code)
        invalid = http.post(url, data={**form, "To": "0712345678"}, auth=auth).json()
        assert invalid["code"] == 21211 and invalid["more_info"] == "https://www.twilio.com/docs/errors/21211"
        created = http.post(url, data=form, auth=auth)
        assert created.status_code == 201
        message = created.json()
        assert message["status"] == "queued" and message["price"] is None and message["num_segments"] == "1"
        assert message["uri"] == f"/2010-04-01/Accounts/{server.username}/Messages/{message['sid']}.json"


def test_a_stopped_server_also_ends_kept_alive_connections():
    server = AfricasTalkingServer().start()
    with requests.Session() as http:
        form = {"username": server.username, "to": "+254712345678", "message": "hi"}
        assert http.post(f"{server.url}/version1/messaging", data=form, headers={"apiKey": server.api_key}).status_code == 201
        server.stop()
        try:
            http.post(f"{server.url}/version1/messaging", data=form, headers={"apiKey": server.api_key}, timeout=2)
        except requests.ConnectionError:
            pass
        else:
            raise AssertionError("a stopped server answered")
    assert len(server.requests) == 1
