"""Embedded services for running without Docker: PostgreSQL, a Kafka-protocol broker, an SMTP sink.

Used by the demo (`python -m demo`) and by the test fixtures when no Docker
engine and no configured service is available. Each is a context manager that
stops what it started.
"""
