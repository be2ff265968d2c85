"""The store's errors: what it refuses, with a message that says what and why."""

from __future__ import annotations

__all__ = ["ExistsError", "NotFoundError", "StoreError", "ValidationError"]


class StoreError(ValueError):
    """Something the store cannot do or keep; the message is meant for the user."""


class ValidationError(StoreError):
    """A value that cannot be stored; `field` names it, as the message does first."""

    def __init__(self, field: str, value: object, why: str) -> None:
        super().__init__(f"{field}={value!r}: {why}")
        self.field = field
        self.value = value


class ExistsError(StoreError):
    """A name or id that is taken already."""


class NotFoundError(StoreError):
    """A name or id that is not there."""
