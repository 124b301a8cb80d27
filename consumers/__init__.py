"""Channel consumers: read events from Kafka, render, deliver, log."""
