"""`manage.py check` and `consume <channel>` on a channel's settings: REPORTS_STORAGE_DIR."""
import pytest
from django.core.exceptions import ImproperlyConfigured

from consumers.checks import check_channel_settings
from consumers.email.channel import EmailChannel


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4")
    return str(path)


@pytest.mark.parametrize("value, problem", [
    ("reports", "REPORTS_STORAGE_DIR='reports' is not an absolute path"),
    ("/nonexistent/chesanto-reports", "REPORTS_STORAGE_DIR='/nonexistent/chesanto-reports' is not an existing directory"),
    ("/", "REPORTS_STORAGE_DIR='/' is the filesystem root"),
    ("/tmp/../", "REPORTS_STORAGE_DIR='/tmp/../' is the filesystem root"),
])
def test_a_bad_reports_directory_is_a_check_error_and_the_email_consumer_refuses_to_start(settings, value, problem):
    settings.REPORTS_STORAGE_DIR = value
    [error] = check_channel_settings()
    assert error.id == "chesanto.E005" and error.msg.startswith(problem) and "consume email" in error.hint
    with pytest.raises(ImproperlyConfigured, match=f"the email channel: {problem}"):
        EmailChannel().check()


def test_a_file_is_not_a_reports_directory(settings, a_file):
    settings.REPORTS_STORAGE_DIR = a_file
    assert [e.msg.split(";")[0] for e in check_channel_settings()] == [
        f"REPORTS_STORAGE_DIR={a_file!r} is not an existing directory"]


@pytest.mark.parametrize("value", ["", "tmp_path"])
def test_an_absolute_existing_directory_or_none_at_all_passes(settings, tmp_path, value):
    settings.REPORTS_STORAGE_DIR = str(tmp_path) if value == "tmp_path" else value
    assert check_channel_settings() == []
    EmailChannel().check()


def test_quiet_hours_name_installed_channels_whose_log_can_say_held(settings):
    from consumers.checks import check_quiet_hours_channels

    assert check_quiet_hours_channels() == []  # sms, whatsapp, push: each log has HELD
    settings.COMMS_QUIET_HOURS_CHANNELS = ["sms", "pigeon", "email"]
    (warning,) = check_quiet_hours_channels()
    assert warning.id == "chesanto.W016" and "'pigeon', which is no channel" in warning.msg
