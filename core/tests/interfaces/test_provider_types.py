"""Provider value types: OpenAI shapes, usage and cost, quota, error classes."""

from __future__ import annotations

import math

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.interfaces.provider import (
    Choice,
    ChunkChoice,
    CompletionChunk,
    CompletionRequest,
    CompletionResponse,
    DeliveryMode,
    Embedding,
    EmbeddingRequest,
    EmbeddingResponse,
    ErrorCategory,
    ErrorClassification,
    ModelInfo,
    ModelPricing,
    QuotaStatus,
    RateLimitStatus,
    TokenUsage,
)

KNOWN = {
    "model",
    "messages",
    "temperature",
    "max_tokens",
    "top_p",
    "stop",
    "tools",
    "tool_choice",
    "stream",
    "user",
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
unknown_parameters = st.dictionaries(
    st.text(min_size=1, max_size=12).filter(lambda key: key not in KNOWN), json_values, max_size=5
)
messages = st.lists(
    st.fixed_dictionaries({"role": st.sampled_from(["user", "system"]), "content": st.text()}),
    min_size=1,
    max_size=3,
)


@given(
    model=st.text(min_size=1),
    messages=messages,
    extra=unknown_parameters,
    temperature=st.none() | st.floats(min_value=0, max_value=2),
    max_tokens=st.none() | st.integers(min_value=1),
    stop=st.none() | st.text() | st.lists(st.text(), max_size=3),
    stream=st.booleans(),
)
def test_an_openai_payload_survives_a_round_trip_with_its_unknown_parameters(
    model, messages, extra, temperature, max_tokens, stop, stream
):
    payload = {"model": model, "messages": messages, **extra}
    for key, value in [("temperature", temperature), ("max_tokens", max_tokens), ("stop", stop)]:
        if value is not None:
            payload[key] = value
    if stream:
        payload["stream"] = True

    assert CompletionRequest.from_openai_payload(payload).to_openai_payload() == payload


@given(extra=unknown_parameters)
def test_unknown_parameters_land_in_extra_untouched(extra):
    payload = {"model": "m", "messages": [{"role": "user", "content": "hi"}], **extra}

    assert CompletionRequest.from_openai_payload(payload).extra == extra


def test_a_request_survives_a_round_trip_through_its_payload():
    request = CompletionRequest(
        "openai.gpt-4o",
        [{"role": "user", "content": "hi"}],
        temperature=0.0,
        top_p=0.5,
        stop=["END"],
        tools=[{"type": "function", "function": {"name": "f"}}],
        tool_choice="auto",
        stream=True,
        user="u-1",
        extra={"seed": 7},
    )

    assert CompletionRequest.from_openai_payload(request.to_openai_payload()) == request


def test_a_payload_omits_unset_parameters_and_a_false_stream():
    request = CompletionRequest("m", [{"role": "user", "content": "hi"}])

    assert request.to_openai_payload() == {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
    }


def test_a_zero_temperature_is_sent_not_dropped():
    request = CompletionRequest("m", [], temperature=0.0)

    assert request.to_openai_payload()["temperature"] == 0.0


def test_extra_may_not_shadow_a_known_parameter():
    with pytest.raises(ValueError, match="temperature"):
        CompletionRequest("m", [], extra={"temperature": 1.0})


def test_a_payload_without_model_or_messages_is_refused_by_name():
    with pytest.raises(ValueError, match="model and messages"):
        CompletionRequest.from_openai_payload({"temperature": 1})


@pytest.mark.parametrize(
    ("name", "value"), [("max_tokens", 0), ("temperature", -0.1), ("top_p", 1.5)]
)
def test_out_of_range_sampling_parameters_are_refused(name, value):
    with pytest.raises(ValueError, match=name):
        CompletionRequest("m", [], **{name: value})


def test_a_request_is_frozen_so_middleware_replaces_it_with_evolve():
    request = CompletionRequest("m", [])
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        request.model = "other"  # type: ignore[misc]
    assert attrs.evolve(request, model="other").model == "other"


def test_a_response_renders_the_chat_completion_shape():
    response = CompletionResponse(
        "chatcmpl-1",
        "gpt-4o",
        [Choice(message={"role": "assistant", "content": "hello"}, finish_reason="stop")],
        TokenUsage(3, 2),
        created=1700000000,
    )

    assert response.to_openai_payload() == {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "hello"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }


def test_a_response_survives_a_round_trip_through_its_payload():
    response = CompletionResponse(
        "id",
        "m",
        [Choice(message={"role": "assistant", "content": "x"}, index=0)],
        TokenUsage(1, 1),
    )

    assert CompletionResponse.from_openai_payload(response.to_openai_payload()) == response


def test_response_content_is_the_first_choice_text():
    response = CompletionResponse("id", "m", [Choice(message={"content": "first"})])

    assert response.content == "first"


def test_a_response_without_usage_counts_zero_tokens():
    response = CompletionResponse.from_openai_payload({"id": "x", "model": "m", "choices": []})

    assert response.usage == TokenUsage(0, 0, 0)


def test_a_chunk_renders_the_chat_completion_chunk_shape_with_usage_only_when_known():
    chunk = CompletionChunk("c", "m", [ChunkChoice(delta={"content": "he"})], created=1)

    assert chunk.to_openai_payload() == {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "he"}, "finish_reason": None}],
    }


def test_a_final_chunk_survives_a_round_trip_with_its_usage_and_finish_reason():
    chunk = CompletionChunk(
        "c", "m", [ChunkChoice(delta={}, finish_reason="stop")], usage=TokenUsage(4, 6)
    )
    parsed = CompletionChunk.from_openai_payload(chunk.to_openai_payload())

    assert parsed == chunk
    assert parsed.finish_reason == "stop"


def test_an_embeddings_request_survives_a_round_trip_with_unknown_parameters():
    payload = {"model": "e", "input": ["a", "b"], "dimensions": 256, "vendor_opt": True}

    assert EmbeddingRequest.from_openai_payload(payload).to_openai_payload() == payload


def test_an_embeddings_response_renders_the_openai_list_shape():
    response = EmbeddingResponse(
        "e", [Embedding(embedding=[0.5, 1.0])], TokenUsage(prompt_tokens=2)
    )

    assert response.to_openai_payload() == {
        "object": "list",
        "model": "e",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.5, 1.0]}],
        "usage": {"prompt_tokens": 2, "total_tokens": 2},
    }


def test_an_embeddings_response_survives_a_round_trip_through_its_payload():
    response = EmbeddingResponse("e", [Embedding(embedding=[0.25], index=0)], TokenUsage(3))

    assert EmbeddingResponse.from_openai_payload(response.to_openai_payload()) == response


def test_total_tokens_defaults_to_prompt_plus_completion():
    assert TokenUsage(prompt_tokens=10, completion_tokens=5).total_tokens == 15


def test_token_counts_cannot_be_negative():
    with pytest.raises(ValueError, match="prompt_tokens"):
        TokenUsage(prompt_tokens=-1)


@given(
    prompt=st.integers(0, 10**7),
    completion=st.integers(0, 10**7),
    price_in=st.floats(0, 100),
    price_out=st.floats(0, 100),
    per_request=st.floats(0, 10),
)
def test_cost_is_tokens_per_thousand_times_price_plus_the_per_request_fee(
    prompt, completion, price_in, price_out, per_request
):
    pricing = ModelPricing(price_in, price_out, per_request)
    expected = prompt / 1000 * price_in + completion / 1000 * price_out + per_request

    assert math.isclose(pricing.cost(TokenUsage(prompt, completion)), expected)


def test_cost_of_a_known_call():
    pricing = ModelPricing(input_per_1k_tokens=0.5, output_per_1k_tokens=1.5, per_request=0.01)

    assert pricing.cost(TokenUsage(2000, 1000)) == pytest.approx(2.51)


def test_prices_cannot_be_negative():
    with pytest.raises(ValueError, match="per_request"):
        ModelPricing(per_request=-0.01)


def test_quota_remaining_defaults_to_limit_minus_used():
    assert QuotaStatus(used=30, limit=100).remaining == 70


def test_an_unlimited_quota_has_no_remaining_and_is_never_exhausted():
    quota = QuotaStatus(used=10**9)

    assert (quota.remaining, quota.exhausted) == (None, False)


def test_a_quota_used_up_is_exhausted():
    assert QuotaStatus(used=120, limit=100).exhausted


def test_rate_limits_default_to_unknown():
    assert attrs.astuple(RateLimitStatus()) == (None, None, None, None, None)


def test_error_categories_are_the_documented_set():
    assert {c.value for c in ErrorCategory} == {
        "rate_limit",
        "server",
        "timeout",
        "connection",
        "auth",
        "client",
        "not_found",
        "context_length",
        "content_filter",
        "unknown",
    }


@pytest.mark.parametrize(
    "category",
    [
        ErrorCategory.CLIENT,
        ErrorCategory.CONTEXT_LENGTH,
        ErrorCategory.CONTENT_FILTER,
    ],
)
def test_errors_caused_by_the_request_are_request_scoped(category):
    assert ErrorClassification(retryable=False, category=category).request_scoped


@pytest.mark.parametrize(
    "category",
    [
        ErrorCategory.RATE_LIMIT,
        ErrorCategory.SERVER,
        ErrorCategory.TIMEOUT,
        ErrorCategory.CONNECTION,
        ErrorCategory.AUTH,
        ErrorCategory.NOT_FOUND,
        ErrorCategory.UNKNOWN,
    ],
)
def test_errors_caused_by_the_model_or_provider_are_not_request_scoped(category):
    assert not ErrorClassification(retryable=True, category=category).request_scoped


def test_a_negative_retry_after_is_refused():
    with pytest.raises(ValueError, match="retry_after"):
        ErrorClassification(True, ErrorCategory.RATE_LIMIT, 429, retry_after=-1)


def test_a_model_that_declares_no_delivery_is_synchronous_only():
    info = ModelInfo("openai.gpt-4o", "gpt-4o")

    assert [info.supports_delivery(mode) for mode in DeliveryMode] == [True, False, False]


def test_a_model_declares_delivery_with_the_yaml_keys():
    info = ModelInfo("m", "m", delivery={"synchronous": False, "streaming": True, "batch": True})

    assert [info.supports_delivery(mode) for mode in DeliveryMode] == [False, True, True]


def test_with_model_names_another_model_and_keeps_everything_else():
    request = CompletionRequest(
        "chat",
        [{"role": "user", "content": "hi"}],
        temperature=0.2,
        stop=["\n"],
        user="u-1",
        extra={"seed": 7},
    )

    routed = request.with_model("gpt-4o-mini")

    assert routed == attrs.evolve(request, model="gpt-4o-mini")
    assert (request.model, type(routed)) == ("chat", CompletionRequest)


def test_embeddings_with_model_names_another_model_and_keeps_everything_else():
    request = EmbeddingRequest("text-embeddings", ["a", "b"], dimensions=8)

    assert request.with_model("e-3") == attrs.evolve(request, model="e-3")
