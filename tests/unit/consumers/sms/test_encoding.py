import pytest

from consumers.sms.encoding import GSM7, UCS2, analyse, is_gsm7

BREAD = "\U0001F35E"  # 🍞, outside the BMP: a surrogate pair in UTF-16


@pytest.mark.parametrize("text, encoding, units, segments", [
    ("", GSM7, 0, 1),
    ("a" * 160, GSM7, 160, 1),
    ("a" * 161, GSM7, 161, 2),
    ("a" * 306, GSM7, 306, 2),
    ("a" * 307, GSM7, 307, 3),
    ("a" * 159 + "€", GSM7, 161, 2),  # the euro sign is ESC + e: 2 septets
    ("€" * 80, GSM7, 160, 1),
    ("[]{}\\^~|€", GSM7, 18, 1),
    ("a" * 70, GSM7, 70, 1),
    ("ũ" * 70, UCS2, 70, 1),
    ("ũ" * 71, UCS2, 71, 2),
    ("ũ" * 134, UCS2, 134, 2),
    ("ũ" * 135, UCS2, 135, 3),
    (BREAD * 35, UCS2, 70, 1),  # 35 emoji = 70 UTF-16 code units
    (BREAD * 36, UCS2, 72, 2),
    ("a" * 69 + BREAD, UCS2, 71, 2),  # one emoji turns a short GSM text into 2 UCS-2 parts
])
def test_encoding_units_and_segments(text, encoding, units, segments):
    result = analyse(text)
    assert (result.encoding, result.units, result.segments) == (encoding, units, segments)


def test_an_escape_sequence_is_never_split_across_parts():
    # 152 + 2 + 152 = 306 septets would fit 2 parts of 153 by division, but the euro sign
    # cannot straddle the boundary, so it starts part 2 and the text needs 3.
    assert analyse("a" * 152 + "€" + "a" * 152).segments == 3


def test_a_surrogate_pair_is_never_split_across_parts():
    assert analyse("ũ" * 66 + BREAD + "ũ" * 66).segments == 3  # 134 units, yet 3 parts


def test_swahili_is_gsm7_until_a_non_gsm_letter_or_an_emoji():
    swahili = "Habari Wanjiku! Tumepokea malipo yako ya KES 1,250.00. Asante sana, karibu tena."
    assert analyse(swahili).encoding == GSM7
    assert analyse(swahili.replace("Wanjiku", "Wanjirũ")).encoding == UCS2  # Kikuyu ũ is not GSM-7
    assert analyse(swahili + " " + BREAD).encoding == UCS2


@pytest.mark.parametrize("text, gsm", [
    ("Ç É Ñ ß Δ Ω £ ¥ § ¿ ¡ @ \n", True),
    ("ç", False),  # only the capital C cedilla is in the GSM-7 table
    ("it’s", False),  # a typographic apostrophe: the classic accidental UCS-2
    ("\x1b", False),  # ESC is not a character a text can contain
])
def test_gsm7_alphabet(text, gsm):
    assert is_gsm7(text) is gsm
