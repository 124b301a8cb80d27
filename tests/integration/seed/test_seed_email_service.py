"""The seed spec's `EmailServiceTest.test_send_invitation` (communication-system-spec.md, "Testing"),
unchanged but for its import paths: the facade now emits an event, and eager delivery sends it."""
import pytest
from django.core import mail
from django.test import TestCase

from consumers.email.models import EmailLog
from outbox.facade import EmailService

pytestmark = pytest.mark.integration


class EmailServiceTest(TestCase):
    def test_send_invitation(self):
        """Test invitation email sends successfully"""
        result = EmailService.send_invitation(
            email='test@example.com',
            name='John Doe',
            role='Salesman',
            temp_password='Abc123xyz',
            login_url='http://test.com/login'
        )

        self.assertTrue(result)
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[0].to, ['test@example.com'])
        self.assertIn('Welcome', mail.outbox[0].subject)

        # Check log created
        log = EmailLog.objects.latest('sent_at')
        self.assertEqual(log.recipient, 'test@example.com')
        self.assertEqual(log.status, EmailLog.Status.SENT)
