"""An SMS text's encoding and segments: chesanto_comms/gsm.py, which the embedded provider servers share."""
from __future__ import annotations

from chesanto_comms.gsm import GSM7, GSM7_BASIC, GSM7_EXTENSION, LIMITS, UCS2, SmsEncoding, analyse, is_gsm7

__all__ = ["GSM7", "GSM7_BASIC", "GSM7_EXTENSION", "LIMITS", "UCS2", "SmsEncoding", "analyse", "is_gsm7"]
