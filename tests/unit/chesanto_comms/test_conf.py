"""The settings resolver: the Django setting, else the environment variable, else the default."""
import pytest

from chesanto_comms.conf import INT, LIST, STR, Setting, SettingError, comms, declared


def test_default_when_neither_setting_nor_variable(monkeypatch):
    monkeypatch.delenv("OUTBOX_SHARDS", raising=False)
    assert comms.OUTBOX_SHARDS == 32


def test_environment_variable_over_default(monkeypatch):
    monkeypatch.setenv("OUTBOX_SHARDS", "8")
    assert comms.OUTBOX_SHARDS == 8


def test_django_setting_over_environment_variable(monkeypatch, settings):
    monkeypatch.setenv("OUTBOX_SHARDS", "8")
    settings.OUTBOX_SHARDS = 4
    assert comms.OUTBOX_SHARDS == 4


def test_a_django_setting_of_none_counts_as_unset(monkeypatch, settings):
    settings.EMAIL_TIMEOUT = None  # Django's own default for it
    monkeypatch.setenv("EMAIL_TIMEOUT", "12")
    from consumers.email.settings import email_settings

    assert email_settings.EMAIL_TIMEOUT == 12.0


@pytest.mark.parametrize("variable, raw, message", [
    ("OUTBOX_SHARDS", "many", "OUTBOX_SHARDS='many' is not an integer"),
    ("OUTBOX_SHARDS", "0", "OUTBOX_SHARDS=0: must be 1 or more"),
    ("RELAY_SYNCHRONOUS_COMMIT", "perhaps", "RELAY_SYNCHRONOUS_COMMIT='perhaps' is not a boolean"),
    ("COMMS_PRIMARY_COLOR", "red", "COMMS_PRIMARY_COLOR='red': a colour as #RRGGBB"),
    ("OUTBOX_TOPIC_MAP", "auth=a,sales", "OUTBOX_TOPIC_MAP item 'sales' is not 'domain=topic'"),
])
def test_a_bad_value_names_the_setting(monkeypatch, variable, raw, message):
    monkeypatch.setenv(variable, raw)
    with pytest.raises(SettingError, match=message):
        getattr(comms, variable)


def test_a_django_setting_of_the_wrong_type_names_it(settings):
    settings.RELAY_BATCH_SIZE = "2000"
    with pytest.raises(SettingError, match=r"settings.RELAY_BATCH_SIZE='2000' is not an integer"):
        comms.RELAY_BATCH_SIZE


def test_lists_and_maps_come_from_text_or_python(monkeypatch, settings, tmp_path):
    monkeypatch.setenv("COMMS_TEMPLATE_DIRS", f"{tmp_path}/a, {tmp_path}/b")
    assert comms.COMMS_TEMPLATE_DIRS == [f"{tmp_path}/a", f"{tmp_path}/b"]
    settings.COMMS_TEMPLATE_DIRS = [tmp_path]  # a Path, as BASE_DIR / "…" gives
    assert comms.COMMS_TEMPLATE_DIRS == [str(tmp_path)]
    settings.OUTBOX_TOPIC_MAP = {"sales": "shop-sales"}
    assert comms.OUTBOX_TOPIC_MAP == {"sales": "shop-sales"}


def test_an_undeclared_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="OUTBOX_SHARD is not a setting"):
        comms.OUTBOX_SHARD  # noqa: B018


def test_a_setting_is_declared_once():
    from chesanto_comms.conf import Settings

    with pytest.raises(ValueError, match="OUTBOX_SHARDS declared twice"):
        Settings("again", Setting("OUTBOX_SHARDS", 1, "again", INT))
    assert declared()["OUTBOX_SHARDS"].default == 32


def test_readme_default_text():
    assert Setting("A", "", "x", STR).default_text == "empty"
    assert Setting("A", ["email"], "x", LIST).default_text == "`email`"
    assert Setting("A", 3, "x", INT).default_text == "`3`"
