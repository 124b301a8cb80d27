"""Settings for the email benchmark's django-post_office baseline: ours plus `post_office`.

The baseline runs as post_office is meant to: `mail.send()` queues, and
`send_queued_mail` sends with one process and post_office's default of 5 threads,
through Django's SMTP backend (EMAIL_HOST/EMAIL_PORT, the benchmark's sink).
"""
from config.settings import *  # noqa: F403 - the same database, email and Kafka settings as ours

INSTALLED_APPS = [*INSTALLED_APPS, "post_office"]  # noqa: F405

POST_OFFICE = {
    "BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"},
    "BATCH_SIZE": 100,  # post_office's default: emails per send_queued round
    "THREADS_PER_PROCESS": 5,  # post_office's default
    "LOG_LEVEL": 2,  # post_office's default: one Log row per email, like our EmailLog
    "MAX_RETRIES": 0,
}
