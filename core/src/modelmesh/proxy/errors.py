"""Exceptions to HTTP answers (REFERENCE R15): one status, type and code per failure.

Every error body is ``{"error": {"message", "type", "code"}}``, the OpenAI shape, so the
official clients raise their usual exception classes. Messages of ModelMesh errors are
written to be shown (they never carry secrets); anything unexpected is answered with
a generic message and logged instead.
"""

from __future__ import annotations

import json

from modelmesh.errors import (
    AllProvidersExhaustedError,
    BudgetExceededError,
    ModelMeshError,
    NoActiveModelError,
    ProviderError,
    RequestDeadlineError,
    SessionModelUnavailableError,
    UnknownModelError,
)

__all__ = ["HttpError", "error_body", "from_exception"]


class HttpError(Exception):
    """An answer the proxy gives instead of a routed response."""

    def __init__(
        self,
        status: int,
        message: str,
        type_: str = "invalid_request_error",
        code: str | None = None,
        *,
        headers: tuple[tuple[bytes, bytes], ...] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.headers = headers

    def body(self) -> bytes:
        return error_body(self.message, self.type, self.code)


def error_body(message: str, type_: str, code: str | None) -> bytes:
    payload = {"error": {"message": message, "type": type_, "code": code}}
    return json.dumps(payload, separators=(",", ":")).encode()


def from_exception(error: BaseException) -> HttpError | None:
    """The answer for a routing failure; None when the error is not one ModelMesh raised
    on purpose (the caller answers 500 and logs it)."""
    message = str(error)
    if isinstance(error, UnknownModelError):
        return HttpError(404, message, "invalid_request_error", "model_not_found")
    if isinstance(error, NoActiveModelError):
        return HttpError(503, message, "service_unavailable", "no_active_model")
    if isinstance(error, SessionModelUnavailableError):
        return HttpError(503, message, "service_unavailable", "session_model_unavailable")
    if isinstance(error, AllProvidersExhaustedError):
        return HttpError(502, message, "upstream_error", "all_providers_exhausted")
    if isinstance(error, RequestDeadlineError):
        return HttpError(504, message, "timeout", "request_deadline_exceeded")
    if isinstance(error, BudgetExceededError):
        return HttpError(402, message, "insufficient_quota", "budget_exceeded")
    if isinstance(error, ProviderError):
        if error.request_scoped:
            return HttpError(400, message, "invalid_request_error", error.category)
        return HttpError(502, message, "upstream_error", error.category)
    if isinstance(error, ModelMeshError):
        return HttpError(502, message, "upstream_error", "routing_error")
    return None
