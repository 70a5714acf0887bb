"""Domain exceptions; adapters map them to HTTP codes or to prompt texts."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a core service raises on purpose."""

    code = "domain_error"
    prompt_key = "error.generic"

    def __init__(self, message: str = "", **values: object) -> None:
        super().__init__(message or self.code)
        self.message = message or self.code
        self.values = values


class NotFound(DomainError):
    code = "not_found"
    prompt_key = "error.not_found"


class AlreadyExists(DomainError):
    code = "already_exists"
    prompt_key = "error.already_exists"


class InvalidInput(DomainError):
    code = "invalid_input"
    prompt_key = "error.invalid_input"


class NotAllowed(DomainError):
    code = "not_allowed"
    prompt_key = "error.not_allowed"


class IllegalTransition(DomainError):
    code = "illegal_transition"
    prompt_key = "error.illegal_transition"


class RequestAlreadyTaken(DomainError):
    code = "request_already_taken"
    prompt_key = "offer.already_taken"


class OfferClosed(DomainError):
    code = "offer_closed"
    prompt_key = "offer.closed"


class ConsentRequired(DomainError):
    code = "consent_required"
    prompt_key = "error.consent_required"
