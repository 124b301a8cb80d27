from consumers.management.commands.cleanup_logs import Command as CleanupLogs


class Command(CleanupLogs):
    help = "Clean up SMS logs older than SMS_LOG_RETENTION_DAYS (1 year by default), in batches."
    channel = "sms"
