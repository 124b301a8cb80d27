"""Embedded services for running without Docker: PostgreSQL, a Kafka-protocol broker, an SMTP sink.

Used by the demo (`python -m demo`) and by the test fixtures when no Docker
engine and no configured service is available. Each is a context manager that
stops what it started. Where only the real thing will do, `apache_kafka.ApacheKafka`,
`kafka_connect.KafkaConnect` (with Debezium) and `logical_postgres.LogicalPostgres`
(wal_level=logical) start it from Maven Central's jars (`jars.py`) or PostgreSQL's binaries.
"""
