"""The relay: publishes committed outbox rows to Kafka."""
