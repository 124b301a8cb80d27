"""The Apache Kafka launcher's configuration, without starting a JVM."""
from chesanto_comms.embedded.apache_kafka import ApacheKafka, random_cluster_id, read_properties


def test_cluster_ids_are_what_kafka_storage_random_uuid_prints():
    ids = {random_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 22 and not i.startswith("-") and "=" not in i for i in ids)


def test_a_config_file_applies_except_for_the_node_s_own_listeners_and_folder(tmp_path):
    config = tmp_path / "server.properties"
    config.write_text("# comment\nlisteners=SASL_PLAINTEXT://kafka:9092\nsuper.users=User:admin\n"
                      "listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT\n")
    assert read_properties(config)["super.users"] == "User:admin"
    broker = ApacheKafka(config_file=config, listener="SASL_PLAINTEXT", port=9999, advertised_port=7777)
    broker.port, broker.controller_port, broker.work_dir = 9999, 9998, tmp_path
    props = broker.server_properties()
    assert props["super.users"] == "User:admin"
    assert props["listeners"] == "SASL_PLAINTEXT://127.0.0.1:9999,CONTROLLER://127.0.0.1:9998"
    assert props["advertised.listeners"] == "SASL_PLAINTEXT://127.0.0.1:7777"
    assert props["listener.security.protocol.map"] == "CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT"
    assert props["auto.create.topics.enable"] == "false" and props["log.dirs"] == str(tmp_path / "data")
