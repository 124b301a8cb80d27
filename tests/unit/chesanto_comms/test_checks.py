"""`manage.py check` names each bad setting, and what each app needs."""
from django.core import checks

from chesanto_comms.checks import check_deploy, check_installed_apps, check_publisher, check_settings


def ids(messages):
    return [m.id for m in messages]


def test_every_bad_setting_is_reported_by_name_with_a_hint(monkeypatch):
    monkeypatch.setenv("OUTBOX_SHARDS", "zero")
    monkeypatch.setenv("SMS_TIMEOUT", "-")
    errors = check_settings()
    assert ids(errors) == ["chesanto.E001", "chesanto.E001"]
    assert [e.msg for e in errors] == ["OUTBOX_SHARDS='zero' is not an integer", "SMS_TIMEOUT='-' is not a number"]
    assert "environment variable OUTBOX_SHARDS" in errors[0].hint and "default `32`" in errors[0].hint


def test_good_settings_pass():
    assert check_settings() == []


def test_an_app_without_the_one_it_needs_is_an_error(settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "outbox"]
    from django.apps import apps

    apps.set_installed_apps(settings.INSTALLED_APPS)
    try:
        errors = check_installed_apps()
    finally:
        apps.unset_installed_apps()
    assert {e.msg for e in errors} == {"'relay' is in INSTALLED_APPS without 'outbox'",
                                       "'scheduling' is in INSTALLED_APPS without 'outbox'",
                                       "'consumers' is in INSTALLED_APPS without 'outbox'"}


def test_deploy_warns_about_plaintext_kafka_and_eager_delivery(settings):
    settings.KAFKA = {"security.protocol": "PLAINTEXT"}
    settings.COMMS_EAGER_DELIVERY = ["email"]
    assert ids(check_deploy()) == ["chesanto.W101", "chesanto.W102"]
    settings.KAFKA = {"security.protocol": "SASL_SSL"}
    settings.COMMS_EAGER_DELIVERY = []
    assert check_deploy() == []


def test_debezium_cannot_sign_nor_follow_a_topic_map(settings):
    assert check_publisher() == []
    settings.OUTBOX_SIGNING_KEY = ["k1"]
    settings.OUTBOX_TOPIC_MAP = {"auth": "bakery-auth"}
    assert check_publisher() == []  # the relay does both
    settings.OUTBOX_PUBLISHER = "debezium"
    assert ids(check_publisher()) == ["chesanto.E004", "chesanto.W001"]
    settings.OUTBOX_SIGNING_KEY, settings.OUTBOX_TOPIC_MAP = [], {}
    assert check_publisher() == []


def test_an_unknown_publisher_is_a_bad_setting(monkeypatch):
    monkeypatch.setenv("OUTBOX_PUBLISHER", "kafka-connect")
    assert [e.msg for e in check_settings()] == ["OUTBOX_PUBLISHER='kafka-connect': use one of relay, debezium"]


def test_the_checks_are_registered():
    registered = {check.__name__ for check in checks.registry.registry.get_checks(include_deployment_checks=True)}
    assert {"check_settings", "check_installed_apps", "check_database", "check_publisher", "check_deploy",
                  "check_templates"} <= registered
