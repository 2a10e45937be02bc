"""Personal data at rest: Fernet encryption, a keyed blind index for look-ups, and masking for display.

The ciphertext is randomised, so equal phone numbers encrypt differently; the blind index (HMAC-SHA256
under a key derived from PERSONAL_DATA_KEY) is what lets login by mobile and duplicate checks find a row
without storing the number in the clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "enc1:"


def _derive(info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        settings.PERSONAL_DATA_KEY.encode()
    )


@lru_cache(maxsize=4)
def _fernet(key_material: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(b"zhengxie-personal-data-v1")))


@lru_cache(maxsize=4)
def _index_key(key_material: str) -> bytes:
    return _derive(b"zhengxie-blind-index-v1")


def encrypt(plain: str) -> str:
    if not plain:
        return ""
    return PREFIX + _fernet(settings.PERSONAL_DATA_KEY).encrypt(plain.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise ValueError("personal data is not encrypted")
    try:
        return _fernet(settings.PERSONAL_DATA_KEY).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ValueError("personal data cannot be decrypted with the configured key") from exc


def normalise_mobile(value: str) -> str:
    digits = re.sub(r"[\s\-]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits


def blind_index(value: str) -> str:
    if not value:
        return ""
    return hmac.new(_index_key(settings.PERSONAL_DATA_KEY), value.encode(), hashlib.sha256).hexdigest()


MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
ID_NUMBER_RE = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_valid(value: str) -> bool:
    """GB 11643 resident ID: 18 characters with an ISO 7064 MOD 11-2 check character."""
    value = value.upper()
    if not ID_NUMBER_RE.match(value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17]


def id_number_with_check(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + _ID_CHECK[total % 11]


def mask_mobile(value: str) -> str:
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"


def mask_id_number(value: str) -> str:
    if len(value) < 8:
        return "*" * len(value)
    return f"{value[:4]}**********{value[-4:]}"
