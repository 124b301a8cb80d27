from consumers.management.commands.cleanup_email_logs import Command as CleanupEmailLogs
from consumers.models import SMSLog


class Command(CleanupEmailLogs):
    help = "Clean up SMS logs older than SMS_LOG_RETENTION_DAYS (1 year by default), in batches."
    model = SMSLog
    setting = "SMS_LOG_RETENTION_DAYS"
    noun = "SMS logs"
