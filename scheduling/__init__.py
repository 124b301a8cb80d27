"""Recurring schedules: cron rows in the admin whose ticks `manage.py scheduler` emits, each once
(docs/scheduling.md)."""
