"""From a failed provider call to a ProviderError and a routing verdict.

Every provider turns its failures into the same ``modelmesh.errors.ProviderError``
classes, and the router decides between retrying, rotating and surfacing the error
from one ``ErrorClassification``. Both steps live here so that all providers, and
the raw httpx exceptions a custom connector may let through, are judged alike.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

import httpx

from modelmesh.clock import SYSTEM_CLOCK
from modelmesh.errors import (
    AuthenticationError,
    BadRequestError,
    ContentFilterError,
    ContextLengthError,
    ModelNotFoundError,
    ProviderConnectionError,
    ProviderError,
    ProviderServerError,
    ProviderTimeoutError,
    RateLimitError,
)
from modelmesh.interfaces.provider import ErrorCategory, ErrorClassification
from modelmesh.redaction import REDACTED, redact_text
from modelmesh_cdk.mixins.http_client import parse_retry_after

__all__ = [
    "DEFAULT_NON_RETRYABLE_CODES",
    "DEFAULT_RETRYABLE_CODES",
    "classify_error",
    "is_timeout",
    "to_provider_error",
]

DEFAULT_RETRYABLE_CODES: tuple[int, ...] = (429, 500, 502, 503)
DEFAULT_NON_RETRYABLE_CODES: tuple[int, ...] = (400, 401, 403)

_MESSAGE_LIMIT = 500
_CONTEXT_LENGTH_MARKERS = ("context_length_exceeded", "maximum context length")
_CONTENT_FILTER_MARKERS = ("content_filter", "content_policy_violation")
# Categories that only restate a status code, so the configured code lists decide
# them; the other categories say more than the code (auth, not found, context
# length, content filter) and are kept.
_BY_CODE_LISTS = frozenset({ErrorCategory.RATE_LIMIT, ErrorCategory.SERVER, ErrorCategory.UNKNOWN})


def classify_error(
    exc: BaseException,
    *,
    retryable_codes: Collection[int] = DEFAULT_RETRYABLE_CODES,
    non_retryable_codes: Collection[int] = DEFAULT_NON_RETRYABLE_CODES,
) -> ErrorClassification:
    """Say whether ``exc`` is worth retrying and what kind of failure it is.

    A status code in ``retryable_codes`` is retryable (``rate_limit`` for 429,
    ``server`` otherwise); any other status is not. Timeouts and connection failures,
    which carry no status, are retryable. Categories that say more than a status code
    (auth, not found, context length, content filter) are kept.
    """
    error = exc if isinstance(exc, ProviderError) else to_provider_error(exc)
    category = _category(error)
    status = error.status_code
    if status is None:
        retryable = bool(error.retryable)
    elif status in retryable_codes:
        retryable = True
        category = ErrorCategory.RATE_LIMIT if status == 429 else ErrorCategory.SERVER
    else:
        retryable = False
        if category in _BY_CODE_LISTS:
            category = (
                ErrorCategory.CLIENT if status in non_retryable_codes else ErrorCategory.UNKNOWN
            )
    return ErrorClassification(
        retryable=retryable,
        category=category,
        status_code=status,
        retry_after=error.retry_after,
        message=error.message,
    )


def to_provider_error(
    exc: BaseException,
    *,
    provider_id: str | None = None,
    model_id: str | None = None,
    secrets: Iterable[str] = (),
    now: datetime | None = None,
) -> ProviderError:
    """The ProviderError that stands for ``exc``, with the upstream's own message.

    ``secrets`` (the API key) are blanked out of the message even when the upstream
    echoes them back; ``now`` reads an HTTP-date ``Retry-After``. A ProviderError is
    returned as is, except that one raised without a provider (by a hook, or a
    deadline) gets ``provider_id`` and ``model_id`` and their names in its message.
    """
    where = _where(provider_id, model_id)
    context: dict[str, Any] = {"provider_id": provider_id, "model_id": model_id}
    if isinstance(exc, ProviderError):
        if exc.provider_id is None and provider_id is not None:
            exc.message = f"{where}: {exc.message}"
            exc.provider_id = exc.details["provider_id"] = provider_id
            if exc.model_id is None:
                exc.model_id = exc.details["model_id"] = model_id
        return exc
    if isinstance(exc, httpx.HTTPStatusError):
        return _from_status(exc.response, where, context, secrets, now)
    if is_timeout(exc):
        detail = _clean(str(exc) or type(exc).__name__, secrets)
        return ProviderTimeoutError(f"{where} timed out: {detail}", **context)
    if isinstance(exc, httpx.TransportError):
        detail = _clean(str(exc) or type(exc).__name__, secrets)
        return ProviderConnectionError(
            f"{where} could not be reached or dropped the connection: {detail}", **context
        )
    detail = _clean(f"{type(exc).__name__}: {exc}", secrets)
    return ProviderError(f"{where} failed: {detail}", **context)


def is_timeout(exc: BaseException) -> bool:
    """True when ``exc`` is a deadline that passed, not a connection that failed.

    Transports disagree: the aiohttp transport reports a reset connection as
    ``httpx.ConnectTimeout``. An httpx timeout therefore counts as one only when it
    was raised directly or a ``TimeoutError`` lies beneath it.
    """
    if isinstance(exc, TimeoutError):
        return True
    if not isinstance(exc, httpx.TimeoutException):
        return False
    cause = exc.__cause__
    if cause is None:
        return True
    while cause is not None:
        if isinstance(cause, TimeoutError):
            return True
        cause = cause.__cause__
    return False


def _from_status(
    response: httpx.Response,
    where: str,
    context: dict[str, Any],
    secrets: Iterable[str],
    now: datetime | None,
) -> ProviderError:
    status = response.status_code
    code, upstream = _upstream_error(response)
    message = _clean(f"{where}: HTTP {status} from upstream: {upstream}", secrets)
    kwargs: dict[str, Any] = {**context, "status_code": status}
    markers = f"{code} {upstream}".lower()
    if status in (401, 403):
        return AuthenticationError(message, **kwargs)
    if status == 429:
        retry_after = parse_retry_after(
            response.headers.get("retry-after"), now or SYSTEM_CLOCK.now()
        )
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    if status == 404:
        return ModelNotFoundError(message, **kwargs)
    if status in (400, 413, 422):
        if any(marker in markers for marker in _CONTEXT_LENGTH_MARKERS):
            return ContextLengthError(message, **kwargs)
        if any(marker in markers for marker in _CONTENT_FILTER_MARKERS):
            return ContentFilterError(message, **kwargs)
        return BadRequestError(message, **kwargs)
    if 500 <= status <= 599:
        return ProviderServerError(message, **kwargs)
    return ProviderError(message, **kwargs)


def _upstream_error(response: httpx.Response) -> tuple[str, str]:
    """The upstream's error code and message, from an OpenAI error body or plain text."""
    try:
        text = response.text
    except httpx.ResponseNotRead:
        return "", response.reason_phrase
    try:
        body = json.loads(text)
    except ValueError:
        return "", text.strip() or response.reason_phrase
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = " ".join(str(error.get(key) or "") for key in ("code", "type"))
        return code, str(error.get("message") or text)
    if isinstance(error, str):
        return "", error
    return "", text


def _clean(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = redact_text(text)
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "..."


def _where(provider_id: str | None, model_id: str | None) -> str:
    where = f"provider {provider_id}" if provider_id else "provider"
    return f"{where} (model {model_id})" if model_id else where


def _category(error: ProviderError) -> ErrorCategory:
    try:
        return ErrorCategory(error.category)
    except ValueError:
        return ErrorCategory.UNKNOWN
