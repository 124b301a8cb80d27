from chesanto_comms.kafka import consumer_properties, kafka_properties, producer_properties, property_name


def test_kafka_variables_become_librdkafka_properties():
    props = kafka_properties({
        "KAFKA_BOOTSTRAP_SERVERS": "broker:9092",
        "KAFKA_SESSION_TIMEOUT_MS": "6000",
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_": "ignored",
        "EMAIL_HOST": "smtp",
    })
    assert props == {"bootstrap.servers": "broker:9092", "session.timeout.ms": "6000", "security.protocol": "SASL_SSL"}
    assert property_name("KAFKA_SASL_MECHANISM") == "sasl.mechanism"


def test_default_bootstrap_when_unset():
    assert kafka_properties({})["bootstrap.servers"] == "127.0.0.1:9092"


def test_each_client_gets_only_its_own_properties():
    props = {"bootstrap.servers": "b", "session.timeout.ms": "6000", "linger.ms": "5", "security.protocol": "SSL"}
    assert producer_properties(props) == {"bootstrap.servers": "b", "linger.ms": "5", "security.protocol": "SSL"}
    assert consumer_properties(props) == {"bootstrap.servers": "b", "session.timeout.ms": "6000", "security.protocol": "SSL"}
