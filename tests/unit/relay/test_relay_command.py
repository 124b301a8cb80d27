"""`manage.py relay` refuses to run beside Debezium: both would publish every row."""
import pytest
from django.core.management import CommandError, call_command


def test_the_relay_refuses_to_start_while_debezium_publishes(settings):
    settings.OUTBOX_PUBLISHER = "debezium"
    with pytest.raises(CommandError, match="OUTBOX_PUBLISHER=debezium, so Debezium publishes the outbox"):
        call_command("relay", "--drain")
