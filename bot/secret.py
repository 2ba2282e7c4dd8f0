"""Secret: a setting's value (a token, a password) that never shows in a repr, str or log."""

from __future__ import annotations

import hmac
from typing import Final

#: What a secret shows instead of its value.
MASK: Final = "**********"


class Secret:
    """A secret string: `reveal()` gives the value; `repr`, `str` and formatting hide it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        """Hold `value`, which only `reveal()` hands out."""
        self._value = value

    def reveal(self) -> str:
        """The secret value, for the one call that needs it (a client, a connection)."""
        return self._value

    def __repr__(self) -> str:
        """A mask, so the value never reaches a log line or a traceback's locals."""
        return f"Secret('{MASK}')" if self._value else "Secret('')"

    def __str__(self) -> str:
        """A mask: an f-string or a %s log argument shows no secret."""
        return MASK if self._value else ""

    def __format__(self, spec: str) -> str:
        """A mask, whatever the format spec."""
        return format(str(self), spec)

    def __bool__(self) -> bool:
        """True when a value is set (an empty secret is as good as none)."""
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        """Equal to a secret of the same value (compared in constant time)."""
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        """Hashed by value, so equal secrets hash alike."""
        return hash((Secret, self._value))


def secret(value: str | Secret | None) -> Secret | None:
    """`value` as a Secret (None stays None)."""
    if value is None or isinstance(value, Secret):
        return value
    return Secret(value)


def reveal(value: Secret | None) -> str | None:
    """The value of `value`, None when there is none."""
    return None if value is None else value.reveal()
