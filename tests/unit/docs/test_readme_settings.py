"""The README's settings table lists exactly the declared settings, with their defaults."""
from tests.support.settings_table import declared_settings, readme_rows


def test_readme_lists_every_setting_with_its_default():
    declared = {setting.name: setting.default_text for _, setting in declared_settings()}
    documented = readme_rows()
    assert sorted(set(declared) - set(documented)) == [], "declared but not in the README's table"
    assert sorted(set(documented) - set(declared)) == [], "in the README's table but not declared"
    assert {name: documented[name] for name in declared} == declared
