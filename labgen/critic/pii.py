"""Obvious personal data: e-mail addresses, phone numbers, card numbers (Luhn), US SSNs, IBANs (mod 97).

Patterns are strict enough that years, prices and ISBN-like numbers in ordinary prose are not flagged:
card numbers must pass the Luhn check, IBANs the ISO 7064 mod-97 check, phone numbers need a phone-like
layout (a leading +, or area-code groups).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){2,4}"  # +44 20 7946 0958
    r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}"  # (555) 123-4567
    r"|\b\d{3}[.-]\d{3}[.-]\d{4})(?![\w-])")  # 555-123-4567
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")


@dataclass(frozen=True)
class PiiFinding:
    kind: str  # "email", "phone", "card", "ssn", "iban"
    text: str


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return int(numeric) % 97 == 1


_DIGIT = re.compile(r"\d")  # what \d in the patterns matches (any decimal digit)
# The fewest digits each pattern needs: most texts have too few for any, and a scan of every position
# by a pattern that starts with a look-behind costs more than counting them.
_SSN_DIGITS, _CARD_DIGITS, _IBAN_DIGITS, _PHONE_DIGITS = 9, 13, 2, 7


def find_pii(text: str) -> list[PiiFinding]:
    """Every piece of obvious personal data in a text."""
    found: list[PiiFinding] = []
    if "@" in text:
        for match in _EMAIL.finditer(text):
            found.append(PiiFinding("email", match.group(0)))
    digit_count = len(_DIGIT.findall(text))
    if digit_count < _IBAN_DIGITS:
        return found
    for match in _SSN.finditer(text) if digit_count >= _SSN_DIGITS else ():
        found.append(PiiFinding("ssn", match.group(0)))
    for match in _CARD.finditer(text) if digit_count >= _CARD_DIGITS else ():
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_valid(digits):
            found.append(PiiFinding("card", match.group(0)))
    for match in _IBAN.finditer(text):
        if iban_valid(match.group(0)):
            found.append(PiiFinding("iban", match.group(0)))
    taken = {f.text for f in found}
    for match in _PHONE.finditer(text) if digit_count >= _PHONE_DIGITS else ():
        phone = match.group(0)
        if phone not in taken and not any(phone in t or t in phone for t in taken):
            found.append(PiiFinding("phone", phone))
    return found
