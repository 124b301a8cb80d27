import pytest

from chesanto_comms.env import SettingError, env_bool, env_int, env_list


def test_int_and_bool_parse_and_default():
    env = {"EMAIL_PORT": "465", "EMAIL_USE_SSL": "True", "EMPTY": ""}
    assert env_int("EMAIL_PORT", 25, env) == 465
    assert env_int("MISSING", 25, env) == 25
    assert env_bool("EMAIL_USE_SSL", False, env) is True
    assert env_bool("EMPTY", True, env) is False
    assert env_list("MISSING", ["a"], env) == ["a"]


@pytest.mark.parametrize("reader, raw, message", [
    (env_int, "4x5", "EMAIL_PORT='4x5' is not an integer"),
    (env_bool, "maybe", "EMAIL_PORT='maybe' is not a boolean"),
])
def test_bad_values_name_the_variable(reader, raw, message):
    with pytest.raises(SettingError, match=message):
        reader("EMAIL_PORT", 0, {"EMAIL_PORT": raw})
