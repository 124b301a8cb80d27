"""Each channel's models move to the channel's own app (consumers/channel_app.py): they leave this
app's state here, and the channel app's 0001 takes them over with their tables and rows as they are.
Nothing happens in the database."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('communications', '0009_delivery_attempts_and_claims'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
                migrations.RemoveField(
                    model_name='emaillog',
                    name='sent_by',
                ),
                migrations.RemoveField(
                    model_name='inboxitem',
                    name='sent_by',
                ),
                migrations.RemoveField(
                    model_name='inboxitem',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='pushdevice',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='pushlog',
                    name='sent_by',
                ),
                migrations.RemoveField(
                    model_name='pushlog',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='smslog',
                    name='sent_by',
                ),
                migrations.DeleteModel(
                    name='WhatsAppContact',
                ),
                migrations.RemoveField(
                    model_name='whatsapplog',
                    name='sent_by',
                ),
                migrations.DeleteModel(
                    name='EmailLog',
                ),
                migrations.DeleteModel(
                    name='InboxItem',
                ),
                migrations.DeleteModel(
                    name='PushDevice',
                ),
                migrations.DeleteModel(
                    name='PushLog',
                ),
                migrations.DeleteModel(
                    name='SMSLog',
                ),
                migrations.DeleteModel(
                    name='WhatsAppLog',
                ),
    
        ]),
    ]
