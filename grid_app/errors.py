"""Domain errors raised by services; the web layer maps them to HTTP statuses."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Forbidden(DomainError):
    """The actor may not do this."""

    status = 403


class NotFound(DomainError):
    """The thing asked for does not exist (or is hidden from the actor)."""

    status = 404


class EditConflict(DomainError):
    """The thing changed since the actor loaded it; their change was not saved."""

    status = 409


class Invalid(DomainError):
    """The input is not acceptable; ``field_errors`` maps field names to messages."""

    status = 422

    def __init__(self, message: str = "", field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}
