"""classify_error: one verdict for our ProviderErrors and for raw httpx exceptions."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.errors import (
    AuthenticationError,
    BadRequestError,
    ContentFilterError,
    ContextLengthError,
    ModelNotFoundError,
    ProviderServerError,
    RateLimitError,
    StreamInterruptedError,
)
from modelmesh.interfaces.provider import ErrorCategory
from modelmesh_cdk.base.error_classification import (
    DEFAULT_NON_RETRYABLE_CODES,
    DEFAULT_RETRYABLE_CODES,
    classify_error,
    is_timeout,
    to_provider_error,
)

URL = "http://127.0.0.1:9/v1/chat/completions"


def status_error(status: int, body: str = "", headers: dict[str, str] | None = None):
    request = httpx.Request("POST", URL)
    response = httpx.Response(status, text=body, headers=headers, request=request)
    return httpx.HTTPStatusError(f"HTTP {status}", request=request, response=response)


codes = st.sets(st.integers(100, 599), max_size=8)


@given(status=st.integers(100, 599), retryable=codes, non_retryable=codes)
def test_any_status_is_retryable_exactly_when_listed(status, retryable, non_retryable):
    verdict = classify_error(
        status_error(status), retryable_codes=retryable, non_retryable_codes=non_retryable
    )
    assert verdict.retryable == (status in retryable)


@given(status=st.integers(100, 599))
def test_a_provider_error_classifies_like_the_raw_status(status):
    raw = status_error(status)
    assert classify_error(to_provider_error(raw)) == classify_error(raw)


@pytest.mark.parametrize(
    ("status", "category"),
    [
        (429, ErrorCategory.RATE_LIMIT),
        (500, ErrorCategory.SERVER),
        (502, ErrorCategory.SERVER),
        (503, ErrorCategory.SERVER),
        (401, ErrorCategory.AUTH),
        (403, ErrorCategory.AUTH),
        (400, ErrorCategory.CLIENT),
        (404, ErrorCategory.NOT_FOUND),
        (409, ErrorCategory.UNKNOWN),
        (422, ErrorCategory.CLIENT),
        (504, ErrorCategory.UNKNOWN),
    ],
)
def test_default_categories(status, category):
    assert classify_error(status_error(status)).category is category


def test_a_code_made_retryable_by_configuration_is_a_server_error():
    verdict = classify_error(status_error(504), retryable_codes=(*DEFAULT_RETRYABLE_CODES, 504))
    assert (verdict.category, verdict.retryable) == (ErrorCategory.SERVER, True)


def test_a_code_made_non_retryable_by_configuration_is_a_client_error():
    verdict = classify_error(
        status_error(409), non_retryable_codes=(*DEFAULT_NON_RETRYABLE_CODES, 409)
    )
    assert verdict.category is ErrorCategory.CLIENT


def test_429_carries_retry_after_from_the_header():
    raw = status_error(429, headers={"retry-after": "12"})
    assert classify_error(raw).retry_after == 12.0


@pytest.mark.parametrize(
    "exc",
    [httpx.ReadTimeout("slow"), httpx.ConnectTimeout("slow"), TimeoutError()],
    ids=["read", "connect", "builtin"],
)
def test_timeouts_are_retryable(exc):
    verdict = classify_error(exc)
    assert (verdict.category, verdict.retryable) == (ErrorCategory.TIMEOUT, True)


@pytest.mark.parametrize(
    "exc",
    [httpx.ConnectError("refused"), httpx.ReadError("reset"), httpx.RemoteProtocolError("cut")],
    ids=["refused", "reset", "protocol"],
)
def test_connection_failures_are_retryable(exc):
    verdict = classify_error(exc)
    assert (verdict.category, verdict.retryable) == (ErrorCategory.CONNECTION, True)


def test_a_timeout_caused_by_a_reset_is_a_connection_failure():
    exc = httpx.ConnectTimeout("reset by peer")
    exc.__cause__ = ConnectionResetError("reset by peer")
    assert not is_timeout(exc)


def test_an_interrupted_stream_is_a_retryable_connection_failure():
    verdict = classify_error(StreamInterruptedError("cut"))
    assert (verdict.category, verdict.retryable) == (ErrorCategory.CONNECTION, True)


def test_an_unrelated_exception_is_unknown_and_not_retryable():
    verdict = classify_error(ValueError("bug"))
    assert (verdict.category, verdict.retryable) == (ErrorCategory.UNKNOWN, False)


@pytest.mark.parametrize(
    ("status", "body", "error_class"),
    [
        (401, "", AuthenticationError),
        (404, "", ModelNotFoundError),
        (429, "", RateLimitError),
        (422, '{"error": {"message": "bad enum"}}', BadRequestError),
        (
            400,
            '{"error": {"message": "refused", "code": "content_policy_violation"}}',
            ContentFilterError,
        ),
        (504, "", ProviderServerError),
        (
            400,
            '{"error": {"message": "too long", "code": "context_length_exceeded"}}',
            ContextLengthError,
        ),
        (
            400,
            '{"error": {"message": "This model\'s maximum context length is 4097 tokens"}}',
            ContextLengthError,
        ),
    ],
)
def test_status_errors_become_their_provider_error(status, body, error_class):
    assert type(to_provider_error(status_error(status, body))) is error_class


def test_secrets_are_blanked_out_of_the_message():
    raw = status_error(401, '{"error": {"message": "bad key sk-live-123456"}}')
    error = to_provider_error(raw, secrets=("sk-live-123456",))
    assert "sk-live-123456" not in error.message


def test_bearer_tokens_in_upstream_text_are_redacted():
    raw = status_error(400, "header was Authorization: Bearer abc.def-ghi")
    assert "abc.def-ghi" not in to_provider_error(raw).message


def test_the_upstream_message_is_quoted():
    raw = status_error(400, '{"error": {"message": "n must be 1"}}')
    assert "n must be 1" in to_provider_error(raw, provider_id="acme").message


def test_a_provider_error_raised_without_context_gets_the_providers():
    error = to_provider_error(StreamInterruptedError("cut"), provider_id="acme", model_id="m")
    assert (error.provider_id, error.model_id, error.message) == (
        "acme",
        "m",
        "provider acme (model m): cut",
    )


def test_a_provider_error_with_context_is_returned_unchanged():
    original = RateLimitError("slow down", provider_id="first", model_id="a")
    assert to_provider_error(original, provider_id="second", model_id="b").message == "slow down"
