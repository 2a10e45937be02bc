from __future__ import annotations

from typing import Any

from django.db import models

from zhengxie.accounts import crypto


class EncryptedTextField(models.TextField):
    """Holds plaintext in Python and Fernet ciphertext in the database.

    Not searchable by value: pair it with a blind-index column where look-ups are needed.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str:
        if value is None or value == "":
            return ""
        return crypto.decrypt(value)

    def to_python(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, str) and value.startswith(crypto.PREFIX):
            return crypto.decrypt(value)
        return str(value)

    def get_prep_value(self, value: Any) -> str:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return ""
        return crypto.encrypt(str(value))
