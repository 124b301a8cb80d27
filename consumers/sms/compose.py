"""Building one SMS: the text to send, the text to log, its encoding and segment count."""
from __future__ import annotations

from dataclasses import dataclass

from chesanto_comms.gsm import SmsEncoding, analyse
from consumers import rendering
from consumers.languages import Language, translated, written_in
from consumers.notifications import Notification
from consumers.sms.settings import sms_settings
from outbox.events.base import EventSchema

MASK = "******"


class MessageTooLong(ValueError):
    """A rendered SMS needs more segments than SMS_MAX_SEGMENTS allows."""


@dataclass(frozen=True)
class RenderedSms:
    text: str  # what the recipient gets
    logged_text: str  # what SMSLog.message keeps: the text with secret values masked
    encoding: SmsEncoding
    language: Language = Language.EN  # what it is written in: English where a translation is missing


def render_sms(notification: Notification, data: EventSchema, language: Language = Language.EN) -> RenderedSms:
    path = f"{notification.template}.txt"
    language = written_in(notification, language, [path])
    path = translated(path, language)
    context = {**data.revealed(), **notification.extra_context(data), "language": language.value}
    text = rendering.render(path, context).strip()
    if not text:
        raise ValueError(f"{path} rendered an empty SMS")
    encoding = analyse(text)
    if encoding.segments > sms_settings.SMS_MAX_SEGMENTS:
        raise MessageTooLong(
            f"{path} rendered {encoding}, over SMS_MAX_SEGMENTS={sms_settings.SMS_MAX_SEGMENTS}: "
            f"shorten the template, or the data (a non-GSM character such as an emoji makes the whole text UCS-2)"
        )
    return RenderedSms(text=text, logged_text=mask_secrets(text, data), encoding=encoding, language=language)


def mask_secrets(text: str, data: EventSchema) -> str:
    """The SMS text with every secret field's value replaced by MASK.

    An SMS has no structure to mask a field in: the OTP code is inside the sentence, and
    the log row is read in the admin and kept for a year. So we mask by value, using the
    event's own secret fields (whatever their names); a digit run that merely equals the
    code is masked too, which errs on the safe side.
    """
    for name in data.secret_fields():
        value = getattr(data, name)  # None: an optional secret not given
        secret = value.get_secret_value() if value is not None else ""
        if secret:  # replacing "" would insert the mask between every character
            text = text.replace(secret, MASK)
    return text
