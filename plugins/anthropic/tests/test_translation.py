"""OpenAI-shaped requests and answers translate to and from Anthropic's Messages API."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.errors import ProviderServerError, StreamInterruptedError
from modelmesh.interfaces.provider import CompletionRequest, EmbeddingRequest, ErrorCategory
from modelmesh_cdk.testing.fake_upstream import FakeUpstream, error, ok, stream
from modelmesh_plugin_anthropic.connector import (
    AnthropicProvider,
    StreamReader,
    from_messages_response,
    to_messages_body,
)

MODEL = "claude-test"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "weather",
        "description": "The weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def request(*messages: dict[str, Any], **fields: Any) -> CompletionRequest:
    return CompletionRequest(model=MODEL, messages=list(messages), **fields)


def body(*messages: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return to_messages_body(request(*messages, **fields), 1024)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def run(upstream: FakeUpstream, call: Any, **options: Any) -> Any:
    async def scenario() -> Any:
        provider = AnthropicProvider({"base_url": upstream.url, "api_key": "sk-ant-k", **options})
        try:
            return await call(provider)
        finally:
            await provider.close()

    return asyncio.run(scenario())


# Requests


def test_system_messages_become_the_top_level_system_prompt():
    translated = body({"role": "system", "content": "Be brief."}, user("Hi"))
    assert (translated["system"], translated["messages"]) == (
        "Be brief.",
        [{"role": "user", "content": "Hi"}],
    )


def test_max_tokens_defaults_when_the_request_has_none():
    assert body(user("Hi"))["max_tokens"] == 1024


def test_max_tokens_of_the_request_is_kept():
    assert body(user("Hi"), max_tokens=5)["max_tokens"] == 5


def test_sampling_parameters_and_stop_become_stop_sequences():
    translated = body(user("Hi"), temperature=0.5, top_p=0.9, stop="END")
    assert (translated["temperature"], translated["top_p"], translated["stop_sequences"]) == (
        0.5,
        0.9,
        ["END"],
    )


def test_function_tools_become_tools_with_an_input_schema():
    assert body(user("Weather?"), tools=[WEATHER_TOOL])["tools"] == [
        {
            "name": "weather",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
            "description": "The weather in a city",
        }
    ]


def test_assistant_tool_calls_become_tool_use_blocks():
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
    }
    translated = body(
        user("Weather?"), {"role": "assistant", "content": None, "tool_calls": [call]}
    )
    assert translated["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "tool_use", "id": "call_1", "name": "weather", "input": {"city": "Oslo"}}
        ],
    }


def test_tool_results_join_one_user_turn_of_tool_result_blocks():
    translated = body(
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "call_2", "content": "rain"},
    )
    assert translated["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "sunny"},
                {"type": "tool_result", "tool_use_id": "call_2", "content": "rain"},
            ],
        }
    ]


def test_anthropic_parameters_pass_through():
    translated = body(user("Hi"), extra={"metadata": {"user_id": "u1"}, "top_k": 5})
    assert (translated["metadata"], translated["top_k"]) == ({"user_id": "u1"}, 5)


def test_openai_only_parameters_are_dropped():
    translated = body(user("Hi"), extra={"seed": 7, "response_format": {"type": "json_object"}})
    assert not {"seed", "response_format"} & translated.keys()


# Responses


def test_tool_use_blocks_become_tool_calls_with_json_string_arguments():
    data = {
        "id": "msg_1",
        "model": MODEL,
        "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 10, "output_tokens": 4},
    }
    response = from_messages_response(data, request(user("Weather?")))
    choice = response.choices[0]
    assert (choice.finish_reason, choice.message["content"], choice.message["tool_calls"]) == (
        "tool_calls",
        "Checking.",
        [
            {
                "id": "toolu_1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
            }
        ],
    )


@pytest.mark.parametrize(
    ("stop_reason", "finish_reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
    ],
)
def test_stop_reasons_become_finish_reasons(stop_reason, finish_reason):
    data = {"id": "m", "content": [], "stop_reason": stop_reason, "usage": {}}
    assert (
        from_messages_response(data, request(user("Hi"))).choices[0].finish_reason == finish_reason
    )


def test_usage_counts_input_and_output_tokens():
    data = {"id": "m", "content": [], "usage": {"input_tokens": 10, "output_tokens": 4}}
    usage = from_messages_response(data, request(user("Hi"))).usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (10, 4, 14)


# Over the wire


def test_calls_post_messages_with_api_key_and_version_headers(anthropic_upstream):
    run(anthropic_upstream, lambda p: p.complete(request(user("Hi"))))
    recorded = anthropic_upstream.requests[-1]
    assert (
        recorded.path,
        recorded.headers["x-api-key"],
        recorded.headers["anthropic-version"],
    ) == (
        "/v1/messages",
        "sk-ant-k",
        "2023-06-01",
    )


def test_no_bearer_token_is_sent(anthropic_upstream):
    run(anthropic_upstream, lambda p: p.complete(request(user("Hi"))))
    assert "authorization" not in anthropic_upstream.requests[-1].headers


def test_overloaded_529_is_a_retryable_server_error(anthropic_upstream):
    anthropic_upstream.script(error(529))

    async def call(provider: AnthropicProvider) -> Any:
        with pytest.raises(ProviderServerError) as caught:
            await provider.complete(request(user("Hi")))
        return provider.classify_error(caught.value)

    verdict = run(anthropic_upstream, call)
    assert (verdict.retryable, verdict.category) == (True, ErrorCategory.SERVER)


def test_stream_without_message_stop_is_interrupted(anthropic_upstream):
    anthropic_upstream.script(stream(("Hello", " there"), done=False))

    async def call(provider: AnthropicProvider) -> Any:
        return [chunk async for chunk in provider.stream(request(user("Hi")))]

    with pytest.raises(StreamInterruptedError):
        run(anthropic_upstream, call)


def test_stream_ends_at_message_stop_with_usage(anthropic_upstream):
    anthropic_upstream.script(
        ok("one two three", usage={"prompt_tokens": 3, "completion_tokens": 3})
    )

    async def call(provider: AnthropicProvider) -> Any:
        return [chunk async for chunk in provider.stream(request(user("Hi")))]

    chunks = run(anthropic_upstream, call)
    assert (
        "".join(c.content or "" for c in chunks),
        chunks[-1].finish_reason,
        chunks[-1].usage.total_tokens,
    ) == (
        "one two three",
        "stop",
        6,
    )


def test_embeddings_are_not_served(anthropic_upstream):
    with pytest.raises(NotImplementedError, match="no embeddings"):
        run(anthropic_upstream, lambda p: p.embed(EmbeddingRequest(model=MODEL, input=["x"])))


# Stream events


def feed(reader: StreamReader, *events: dict[str, Any]) -> list[Any]:
    chunks = (reader.feed(json.dumps(e)) for e in events)
    return [c for c in chunks if c is not None]


def test_tool_use_stream_events_become_tool_call_deltas():
    reader = StreamReader()
    chunks = feed(
        reader,
        {"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 5}}},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": '{"city":'},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": ' "Oslo"}'},
        },
        {"type": "content_block_stop", "index": 1},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use"},
            "usage": {"output_tokens": 9},
        },
    )
    calls = [c.choices[0].delta["tool_calls"][0] for c in chunks[1:4]]
    assert (
        calls[0]["id"],
        calls[0]["function"]["name"],
        "".join(c["function"]["arguments"] for c in calls),
        chunks[-1].finish_reason,
    ) == ("toolu_1", "weather", '{"city": "Oslo"}', "tool_calls")


def test_text_deltas_become_content_deltas():
    reader = StreamReader()
    chunks = feed(
        reader,
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "ping"},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
    )
    assert [c.content for c in chunks] == ["Hi"]


def test_message_stop_is_the_end_of_the_stream():
    provider = AnthropicProvider({"api_key": "k"})
    asyncio.run(provider.close())
    assert provider._is_stream_end(json.dumps({"type": "message_stop"}))


def test_an_error_event_interrupts_the_stream():
    reader = StreamReader()
    with pytest.raises(StreamInterruptedError, match="overloaded_error"):
        feed(
            reader,
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        )


def test_base_url_defaults_to_anthropics_when_left_empty():
    provider = AnthropicProvider({"base_url": None, "api_key": "k"})
    asyncio.run(provider.close())
    assert provider.config.base_url == "https://api.anthropic.com"


@given(st.lists(st.text(), max_size=8))
def test_streamed_text_deltas_join_to_the_whole_text(pieces):
    reader = StreamReader()
    deltas = [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}
        for p in pieces
    ]
    assert "".join(c.content for c in feed(reader, *deltas)) == "".join(pieces)


@given(st.dictionaries(st.text(min_size=1), st.integers() | st.text(), max_size=4))
def test_tool_arguments_survive_the_round_trip(arguments):
    call = {
        "id": "c",
        "type": "function",
        "function": {"name": "f", "arguments": json.dumps(arguments)},
    }
    block = body({"role": "assistant", "content": None, "tool_calls": [call]})["messages"][0][
        "content"
    ][0]
    answer = {"id": "m", "content": [block], "stop_reason": "tool_use", "usage": {}}
    returned = (
        from_messages_response(answer, request(user("x"))).choices[0].message["tool_calls"][0]
    )
    assert json.loads(returned["function"]["arguments"]) == arguments
