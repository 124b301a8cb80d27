import pytest

from chesanto_comms.topics import TopicMapError, topic_for


def test_topic_is_prefix_plus_domain_unless_mapped(settings):
    settings.OUTBOX_TOPIC_PREFIX = "bakery."
    settings.OUTBOX_TOPIC_MAP = "sales = shop-sales"
    assert topic_for("auth") == "bakery.auth"
    assert topic_for("sales") == "shop-sales"


def test_malformed_topic_map_is_a_clear_error(settings):
    settings.OUTBOX_TOPIC_MAP = "auth=a,sales"
    with pytest.raises(TopicMapError, match="'sales' is not 'domain=topic'"):
        topic_for("auth")
