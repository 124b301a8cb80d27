import pytest

from outbox import InvalidEventData, UnknownEventType
from outbox.events import domains, get_event_type
from outbox.events.samples import sample

INVITE = {"email": "a@example.com", "name": "A", "role": "Baker", "temp_password": "Mkate-7429-Tamu", "login_url": "https://x.test/login"}


def test_valid_data_parses_and_keys_on_the_recipient():
    event = get_event_type("auth.user_invited").parse(INVITE)
    assert event.partition_key() == "a@example.com"
    assert event.revealed()["temp_password"] == "Mkate-7429-Tamu"
    assert event.masked()["temp_password"] == "**********"
    assert get_event_type("auth.user_invited").secret_fields() == ("temp_password",)


def test_every_bad_field_is_named():
    with pytest.raises(InvalidEventData) as caught:
        get_event_type("auth.user_invited").parse({**INVITE, "email": "nope", "login_url": "ftp://x", "colour": "red"})
    assert set(caught.value.problems) == {"email", "login_url", "colour"}
    assert "Extra inputs are not permitted" in caught.value.problems["colour"]


def test_missing_field_and_wrong_type_of_data():
    schema = get_event_type("auth.otp_requested")
    with pytest.raises(InvalidEventData, match="code: Field required"):
        schema.parse({"email": "a@example.com", "name": "A"})
    with pytest.raises(InvalidEventData, match="expected a mapping, got list"):
        schema.parse([])


def test_unknown_type_lists_the_known_ones():
    with pytest.raises(UnknownEventType, match="'auth.nope'.*auth.otp_requested"):
        get_event_type("auth.nope")
    assert "auth" in domains()


def test_the_catalogue_seals_its_two_secrets():
    from outbox.events import event_types

    assert {name: schema.secret_fields() for name, schema in event_types().items() if schema.secret_fields()} == {
        "auth.user_invited": ("temp_password",), "auth.otp_requested": ("code",)}


CODE_EVENT = {"email": "a@example.com", "name": "A"}


@pytest.mark.parametrize("code", ["", "123", "1234567890123", "9" * 5_000_000, "12\x0034", "12\n34", " \t "])
def test_an_otp_code_has_4_to_12_printable_characters(code):
    with pytest.raises(InvalidEventData) as caught:
        get_event_type("auth.otp_requested").parse({**CODE_EVENT, "code": code})
    assert list(caught.value.problems) == ["code"]
    assert code[:40] not in str(caught.value) or not code.strip()  # the message never repeats the secret


@pytest.mark.parametrize("code", ["1234", "482913", "ABCD-1234-EF"])
def test_otp_codes_within_the_limits_parse(code):
    assert get_event_type("auth.otp_requested").parse({**CODE_EVENT, "code": code}).revealed()["code"] == code


@pytest.mark.parametrize("password, ok", [("Abc12345", True), ("x" * 128, True), ("Abc1234", False),
                                          ("x" * 129, False), ("", False), ("Mkate\x007429", False)])
def test_a_temporary_password_has_8_to_128_printable_characters(password, ok):
    schema = get_event_type("auth.user_invited")
    if ok:
        assert schema.parse({**INVITE, "temp_password": password}).revealed()["temp_password"] == password
    else:
        with pytest.raises(InvalidEventData) as caught:
            schema.parse({**INVITE, "temp_password": password})
        assert list(caught.value.problems) == ["temp_password"]


@pytest.mark.parametrize("path, problem", [
    ("/etc/passwd", "not an absolute path"),
    ("\\\\fileserver\\share\\x.pdf", "not an absolute path"),
    ("C:\\reports\\x.pdf", "not an absolute path"),
    ("../secrets.txt", "'..' component"),
    ("daily/../../etc/passwd", "'..' component"),
    ("daily\\..\\..\\x.pdf", "'..' component"),
    ("daily/x.pdf\n", None),  # trailing whitespace is stripped: fine
    ("daily/\x07x.pdf", "control characters"),
])
def test_an_attachment_path_is_relative_without_dotdot(path, problem):
    schema = get_event_type("reports.report_ready")
    data = {**sample("reports.report_ready"), "attachment_path": path}
    if problem is None:
        assert schema.parse(data).attachment_path == path.strip()
        return
    with pytest.raises(InvalidEventData) as caught:
        schema.parse(data)
    assert list(caught.value.problems) == ["attachment_path"] and problem in caught.value.problems["attachment_path"]


@pytest.mark.parametrize("path", ["samples/daily-sales.pdf", "daily-sales.pdf", "2026/11/21/sales..pdf", "./x.pdf"])
def test_relative_attachment_paths_pass(path):
    assert get_event_type("reports.report_ready").parse(
        {**sample("reports.report_ready"), "attachment_path": path}).attachment_path == path


@pytest.mark.parametrize("event_type, field, limit", [
    ("sales.order_confirmed", "items", 200),
    ("production.schedule_published", "items", 500),
    ("production.schedule_published", "recipients", 200),
    ("inventory.stock_low", "recipients", 50),
    ("inventory.stock_low", "phones", 50),
])
def test_every_list_has_a_maximum(event_type, field, limit):
    schema = get_event_type(event_type)
    data = sample(event_type)
    one = data[field][0]
    schema.parse({**data, field: [one] * limit})
    with pytest.raises(InvalidEventData) as caught:
        schema.parse({**data, field: [one] * (limit + 1)})
    assert list(caught.value.problems) == [field] and f"at most {limit} items" in caught.value.problems[field]


def test_no_list_field_is_unbounded():
    from outbox.events import event_types

    def lists(model, prefix=""):
        for name, field in model.model_fields.items():
            if getattr(field.annotation, "__origin__", None) is list:
                yield f"{prefix}{name}", field
                item = field.annotation.__args__[0]
                if isinstance(item, type) and hasattr(item, "model_fields"):
                    yield from lists(item, f"{prefix}{name}[].")

    unbounded = [f"{t}.{name}" for t, schema in event_types().items() for name, field in lists(schema)
                 if not any(getattr(m, "max_length", None) for m in field.metadata)]
    assert unbounded == []
