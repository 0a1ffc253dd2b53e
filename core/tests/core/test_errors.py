"""The error hierarchy: one base class, and provider errors that say how routing treats them."""

from __future__ import annotations

import pytest

from modelmesh import errors


@pytest.mark.parametrize(
    ("error", "retryable", "request_scoped"),
    [
        (errors.RateLimitError, True, False),
        (errors.ProviderServerError, True, False),
        (errors.ProviderTimeoutError, True, False),
        (errors.ProviderConnectionError, True, False),
        (errors.StreamInterruptedError, True, False),
        (errors.AuthenticationError, False, False),
        (errors.ModelNotFoundError, False, False),
        (errors.BadRequestError, False, True),
        (errors.ContextLengthError, False, True),
        (errors.ContentFilterError, False, True),
    ],
)
def test_each_provider_error_says_how_routing_treats_it(error, retryable, request_scoped):
    raised = error("failed", provider_id="acme.llm.v1", model_id="acme.small", status_code=500)

    assert isinstance(raised, errors.ModelMeshError)
    assert raised.retryable is retryable
    assert raised.request_scoped is request_scoped


def test_provider_errors_carry_where_they_happened():
    raised = errors.RateLimitError("slow down", provider_id="p", model_id="m", retry_after=2.5)

    assert raised.details == {
        "provider_id": "p",
        "model_id": "m",
        "status_code": None,
        "retry_after": 2.5,
    }
    assert str(raised) == "slow down"


def test_retryable_can_be_overridden_per_instance():
    assert errors.ProviderServerError("x", retryable=False).retryable is False


def test_connector_not_found_is_a_readable_key_error():
    raised = errors.ConnectorNotFoundError("acme.llm.v1", "no connector 'acme.llm.v1'")

    assert isinstance(raised, KeyError)
    assert str(raised) == "no connector 'acme.llm.v1'"
