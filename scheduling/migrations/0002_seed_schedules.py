"""The seed's recurring messages (docs/scheduling.md): the daily entry reminder, the weekly report and the
monthly summary, DISABLED. Their audiences are examples: put in the real recipients, then enable them."""
from django.db import migrations

APP_URL = "https://bms.chesanto.co.ke"  # replace with COMMS_APP_URL's value when configuring

SEEDED = [
    {
        "name": "Daily entry reminder",
        "cron": "0 17 * * 1-6",  # 17:00, Monday to Saturday
        "event_type": "auth.daily_entry_reminder",
        "payload": {"date": "{tick_date}", "entry_type": "sales", "dashboard_url": f"{APP_URL}/sales/daily-entry"},
        "audience": [{"email": "salesperson@example.com", "name": "A salesperson"}],
    },
    {
        "name": "Weekly sales report",
        "cron": "0 7 * * 1",  # 07:00 on Mondays
        "event_type": "reports.report_ready",
        "payload": {"report_name": "Weekly sales report", "attachment_path": "weekly/sales-{tick_date}.pdf",
                    "period": "week to {tick_date}", "generated_at": "{tick_datetime}"},
        "audience": [{"email": "manager@example.com"}],
    },
    {
        "name": "Monthly summary",
        "cron": "0 7 1 * *",  # 07:00 on the first of the month
        "event_type": "reports.report_ready",
        "payload": {"report_name": "Monthly summary", "attachment_path": "monthly/summary-{tick_date}.pdf",
                    "period": "month to {tick_date}", "generated_at": "{tick_datetime}"},
        "audience": [{"email": "manager@example.com"}],
    },
]


def seed(apps, schema_editor):
    Schedule = apps.get_model("scheduling", "Schedule")
    for fields in SEEDED:
        Schedule.objects.get_or_create(name=fields["name"], defaults={**fields, "enabled": False,
                                                                      "time_zone": "Africa/Nairobi"})


def unseed(apps, schema_editor):
    apps.get_model("scheduling", "Schedule").objects.filter(
        name__in=[fields["name"] for fields in SEEDED], enabled=False).delete()


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
