"""Domain errors. Messages are Russian because staff and citizens read them."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the platform forbids what was asked."""

    code = "domain_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationError(DomainError):
    code = "validation_error"


class NotFound(DomainError):
    code = "not_found"


class PermissionDenied(DomainError):
    code = "permission_denied"


class IllegalTransition(DomainError):
    code = "illegal_transition"


class ConflictError(DomainError):
    """Someone else changed the object first (optimistic locking)."""

    code = "conflict"
