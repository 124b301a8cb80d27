"""The channel registry is the installed channel apps; what it says when a channel is missing, and the
system checks that catch a channel app that cannot work."""
from __future__ import annotations

import pytest
from django.apps import apps

import consumers.channels as channels
from consumers import checks as consumer_checks
from consumers.channel_app import ChannelApp, check_engine_installed
from consumers.checks import check_channel_apps, check_some_channel_installed, shadowed_templates


def test_the_registry_is_the_installed_channel_apps_in_their_order():
    assert channels.names() == ["email", "sms", "whatsapp", "inbox", "push"]
    assert {name: app.label for name, app in channels.installed().items()}["sms"] == "comms_sms"
    assert channels.channel_class("inbox").__name__ == "InboxChannel"
    assert channels.log_models()["email"]._meta.app_label == "comms_email"


def test_the_distributions_offer_their_channel_apps_as_entry_points():
    assert channels.available()["whatsapp"] == "consumers.whatsapp"


def test_a_channel_left_out_says_which_app_to_add(monkeypatch):
    kept = {name: app for name, app in channels.installed().items() if name != "whatsapp"}
    monkeypatch.setattr(channels, "installed", lambda: kept)
    with pytest.raises(channels.UnknownChannel) as raised:
        channels.get_channel("whatsapp")
    assert str(raised.value) == ("channel 'whatsapp' is not installed: add 'consumers.whatsapp' to INSTALLED_APPS; "
                                 "installed channels: email, sms, inbox, push")
    with pytest.raises(channels.UnknownChannel, match="unknown channel 'fax'; installed channels: email, sms"):
        channels.get_channel("fax")


def test_no_channel_installed_is_a_warning_naming_the_apps_to_add(monkeypatch):
    monkeypatch.setattr(consumer_checks, "installed", lambda: {})
    (warning,) = check_some_channel_installed()
    assert warning.id == "chesanto.W006" and "consumers.email" in warning.hint and "consumers.push" in warning.hint


def fake_app(name: str, channel_name: str, channel_class: str) -> ChannelApp:
    app = ChannelApp.__new__(ChannelApp)
    app.name, app.channel_name, app.channel_class = name, channel_name, channel_class
    return app


def test_a_channel_app_whose_class_is_missing_or_named_twice_is_an_error(monkeypatch):
    real = list(apps.get_app_configs())
    extra = [fake_app("acme_sms", "sms", "consumers.sms.channel.SMSChannel"),
             fake_app("acme_fax", "fax", "acme_fax.channel.FaxChannel"),
             fake_app("acme_pager", "pager", "consumers.providers.Sent")]
    monkeypatch.setattr(apps, "get_app_configs", lambda: real + extra)
    problems = {(p.id, p.msg) for p in check_channel_apps()}
    assert ("chesanto.E007", "'consumers.sms' and 'acme_sms' both call their channel 'sms'") in problems
    assert any(id_ == "chesanto.E008" and msg.startswith("acme_fax: channel_class 'acme_fax.channel.FaxChannel' "
                                                         "does not import") for id_, msg in problems)
    assert ("chesanto.E008", "acme_pager: channel_class 'consumers.providers.Sent' is not a "
                             "consumers.channels.Channel") in problems
    assert len(problems) == 3


def test_the_installed_channel_apps_pass_their_checks():
    assert check_channel_apps() == [] and check_engine_installed() == []


def test_a_channel_app_without_the_engine_is_an_error(monkeypatch):
    monkeypatch.setattr(apps, "is_installed", lambda name: name != "consumers.webhooks")
    problems = check_engine_installed()
    assert {p.msg for p in problems} >= {"'consumers.email' is in INSTALLED_APPS without 'consumers.webhooks'"}
    assert all(p.id == "chesanto.E002" for p in problems) and len(problems) == 5


def test_a_template_two_channel_apps_both_hold_is_shadowed(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for directory, names in ((first, ["chat/a.txt", "b.txt"]), (second, ["chat/a.txt", "c.txt"])):
        for name in names:
            (directory / name).parent.mkdir(parents=True, exist_ok=True)
            (directory / name).write_text("x")
    assert shadowed_templates([("first", first), ("second", second)]) == [("chat/a.txt", "first", "second")]


def test_the_shipped_channels_shadow_no_template():
    dirs = [(app.name, app.templates_dir) for app in channels.installed().values() if app.templates_dir]
    assert len(dirs) == 5 and shadowed_templates(dirs) == []


def test_a_channel_app_mounts_its_callbacks_where_it_says():
    assert channels.channel_app("sms").webhooks_route == "" and channels.channel_app("whatsapp").webhooks_route == "whatsapp/"
    assert channels.channel_modules("urls") == {"inbox": "consumers.inbox.urls", "push": "consumers.push.urls"}
