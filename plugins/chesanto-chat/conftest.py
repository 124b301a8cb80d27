"""The plugin's test run uses the repository's session services (PostgreSQL, Kafka) and settings
fixtures: its tests/conftest.py, loaded as a plugin (the repository root is on `pythonpath`)."""
pytest_plugins = ["tests.conftest"]
