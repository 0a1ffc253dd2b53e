"""OpenAI shapes become Gemini's and back, one mapping per test (no server)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.errors import BadRequestError, ContentFilterError
from modelmesh.interfaces.provider import CompletionRequest, EmbeddingRequest
from modelmesh_plugin_gemini import translate

CAPABILITIES = ("generation.text-generation.chat-completion",)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


def request(*messages: dict[str, Any], **fields: Any) -> CompletionRequest:
    return CompletionRequest(model="gemini-2.0-flash", messages=list(messages), **fields)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def candidate(*parts: dict[str, Any], reason: str | None = "STOP") -> dict[str, Any]:
    found: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}}
    if reason:
        found["finishReason"] = reason
    return found


# Requests


def test_user_and_assistant_become_user_and_model_turns() -> None:
    body = translate.request_to_gemini(
        request(user("hi"), {"role": "assistant", "content": "hello"}, user("bye"))
    )
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "hi"}]},
        {"role": "model", "parts": [{"text": "hello"}]},
        {"role": "user", "parts": [{"text": "bye"}]},
    ]


def test_system_messages_become_the_system_instruction() -> None:
    body = translate.request_to_gemini(
        request({"role": "system", "content": "Be brief."}, user("hi"))
    )
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert [content["role"] for content in body["contents"]] == ["user"]


def test_adjacent_turns_of_one_role_are_merged() -> None:
    body = translate.request_to_gemini(request(user("one"), user("two")))
    assert body["contents"] == [{"role": "user", "parts": [{"text": "one"}, {"text": "two"}]}]


def test_sampling_parameters_become_generation_config() -> None:
    body = translate.request_to_gemini(
        request(user("hi"), temperature=0.5, top_p=0.9, max_tokens=64, stop=["END", "STOP"])
    )
    assert body["generationConfig"] == {
        "temperature": 0.5,
        "topP": 0.9,
        "maxOutputTokens": 64,
        "stopSequences": ["END", "STOP"],
    }


def test_a_single_stop_string_becomes_a_list() -> None:
    body = translate.request_to_gemini(request(user("hi"), stop="END"))
    assert body["generationConfig"]["stopSequences"] == ["END"]


def test_no_parameters_means_no_generation_config() -> None:
    assert "generationConfig" not in translate.request_to_gemini(request(user("hi")))


def test_seed_and_json_response_format_reach_generation_config() -> None:
    body = translate.request_to_gemini(
        request(user("hi"), extra={"seed": 7, "response_format": {"type": "json_object"}})
    )
    assert body["generationConfig"] == {"seed": 7, "responseMimeType": "application/json"}


def test_json_schema_response_format_carries_the_schema() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    body = translate.request_to_gemini(
        request(
            user("hi"),
            extra={"response_format": {"type": "json_schema", "json_schema": {"schema": schema}}},
        )
    )
    assert body["generationConfig"]["responseJsonSchema"] == schema


def test_gemini_native_parameters_pass_through() -> None:
    settings = [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]
    body = translate.request_to_gemini(request(user("hi"), extra={"safetySettings": settings}))
    assert body["safetySettings"] == settings


def test_tools_become_function_declarations() -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "weather",
            "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    body = translate.request_to_gemini(request(user("hi"), tools=[tool]))
    assert body["tools"] == [{"functionDeclarations": [tool["function"]]}]


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        (
            {"type": "function", "function": {"name": "weather"}},
            {"mode": "ANY", "allowedFunctionNames": ["weather"]},
        ),
    ],
)
def test_tool_choice_becomes_the_function_calling_mode(choice: Any, config: Any) -> None:
    body = translate.request_to_gemini(request(user("hi"), tool_choice=choice))
    assert body["toolConfig"] == {"functionCallingConfig": config}


def test_assistant_tool_calls_and_tool_results_become_function_parts() -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "weather", "arguments": '{"city": "Paris"}'},
    }
    body = translate.request_to_gemini(
        request(
            user("weather?"),
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 21}'},
        )
    )
    assert body["contents"][1:] == [
        {
            "role": "model",
            "parts": [{"functionCall": {"name": "weather", "args": {"city": "Paris"}}}],
        },
        {
            "role": "user",
            "parts": [{"functionResponse": {"name": "weather", "response": {"temp": 21}}}],
        },
    ]


def test_a_plain_text_tool_result_is_wrapped_in_an_object() -> None:
    body = translate.request_to_gemini(
        request(user("hi"), {"role": "tool", "name": "weather", "content": "sunny"})
    )
    part = body["contents"][0]["parts"][1]
    assert part == {"functionResponse": {"name": "weather", "response": {"content": "sunny"}}}


def test_a_tool_result_without_its_call_is_refused() -> None:
    with pytest.raises(BadRequestError, match="call_9"):
        translate.request_to_gemini(
            request(user("hi"), {"role": "tool", "tool_call_id": "call_9", "content": "x"})
        )


def test_a_data_url_image_travels_inline() -> None:
    content = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
    ]
    body = translate.request_to_gemini(request({"role": "user", "content": content}))
    assert body["contents"][0]["parts"] == [
        {"text": "what is this?"},
        {"inlineData": {"mimeType": "image/png", "data": "AAAA"}},
    ]


def test_an_unknown_role_is_refused_by_name() -> None:
    with pytest.raises(BadRequestError, match="'critic'"):
        translate.request_to_gemini(request({"role": "critic", "content": "x"}))


def test_models_prefix_is_accepted_in_a_model_name() -> None:
    assert translate.model_path("models/gemini-2.0-flash") == "gemini-2.0-flash"


# Responses


def test_text_parts_are_joined_into_the_content() -> None:
    data = {"candidates": [candidate({"text": "Hello"}, {"text": " there"})]}
    response = translate.response_from_gemini(data, "gemini-2.0-flash")
    assert response.content == "Hello there"


def test_thought_parts_are_left_out_of_the_content() -> None:
    data = {"candidates": [candidate({"text": "pondering", "thought": True}, {"text": "42"})]}
    assert translate.response_from_gemini(data, "m").content == "42"


def test_usage_metadata_becomes_usage() -> None:
    data = {
        "candidates": [candidate({"text": "hi"})],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5},
    }
    usage = translate.response_from_gemini(data, "m").usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (3, 2, 5)


def test_function_calls_become_tool_calls_with_json_arguments() -> None:
    data = {"candidates": [candidate({"functionCall": {"name": "weather", "args": {"c": "P"}}})]}
    choice = translate.response_from_gemini(data, "m").choices[0]
    [call] = choice.message["tool_calls"]
    assert (call["type"], call["function"]["name"]) == ("function", "weather")
    assert json.loads(call["function"]["arguments"]) == {"c": "P"}
    assert choice.finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("BLOCKLIST", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
    ],
)
def test_finish_reasons_are_mapped(reason: str, expected: str) -> None:
    data = {"candidates": [candidate({"text": "x"}, reason=reason)]}
    assert translate.response_from_gemini(data, "m").choices[0].finish_reason == expected


def test_a_blocked_prompt_raises_content_filter_naming_the_reason() -> None:
    with pytest.raises(ContentFilterError, match="SAFETY"):
        translate.response_from_gemini({"promptFeedback": {"blockReason": "SAFETY"}}, "m")


def test_the_model_version_names_the_response_model() -> None:
    data = {"candidates": [candidate({"text": "x"})], "modelVersion": "gemini-2.0-flash-001"}
    assert translate.response_from_gemini(data, "gemini-2.0-flash").model == "gemini-2.0-flash-001"


def test_a_chunk_without_finish_reason_has_no_usage() -> None:
    data = {
        "candidates": [candidate({"text": "Hel"}, reason=None)],
        "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 3},
    }
    chunk = translate.chunk_from_gemini(data, "m")
    assert (chunk.content, chunk.finish_reason, chunk.usage) == ("Hel", None, None)


def test_the_finishing_chunk_carries_usage() -> None:
    data = {
        "candidates": [candidate({"text": "lo"})],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5},
    }
    chunk = translate.chunk_from_gemini(data, "m")
    assert (chunk.finish_reason, chunk.usage.total_tokens) == ("stop", 5)


@given(arguments=st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=4))
def test_tool_call_arguments_survive_the_round_trip(arguments: dict[str, Any]) -> None:
    """What a caller sends as arguments comes back unchanged when Gemini echoes the call."""
    call = {
        "id": "c",
        "type": "function",
        "function": {"name": "f", "arguments": json.dumps(arguments)},
    }
    body = translate.request_to_gemini(
        request(user("hi"), {"role": "assistant", "tool_calls": [call]})
    )
    echoed = candidate(*body["contents"][-1]["parts"])
    response = translate.response_from_gemini({"candidates": [echoed]}, "m")
    returned = response.choices[0].message["tool_calls"][0]["function"]["arguments"]
    assert json.loads(returned) == arguments


# Embeddings and models


def test_one_input_uses_embed_content() -> None:
    method, body = translate.embedding_request_to_gemini(
        EmbeddingRequest(model="text-embedding-004", input="hello")
    )
    assert method == "embedContent"
    assert body == {"model": "models/text-embedding-004", "content": {"parts": [{"text": "hello"}]}}


def test_a_list_uses_batch_embed_contents_with_dimensions() -> None:
    method, body = translate.embedding_request_to_gemini(
        EmbeddingRequest(model="text-embedding-004", input=["a", "b"], dimensions=8)
    )
    assert method == "batchEmbedContents"
    assert [item["outputDimensionality"] for item in body["requests"]] == [8, 8]
    assert [item["content"]["parts"][0]["text"] for item in body["requests"]] == ["a", "b"]


def test_token_id_inputs_are_refused() -> None:
    with pytest.raises(BadRequestError, match="string"):
        translate.embedding_request_to_gemini(EmbeddingRequest(model="m", input=[[1, 2, 3]]))


def test_batch_embeddings_become_indexed_vectors() -> None:
    data = {"embeddings": [{"values": [0.1, 0.2]}, {"values": [0.3, 0.4]}]}
    response = translate.embedding_response_from_gemini(data, "m")
    assert [(item.index, item.embedding) for item in response.data] == [
        (0, (0.1, 0.2)),
        (1, (0.3, 0.4)),
    ]


def test_a_single_embedding_becomes_one_vector() -> None:
    response = translate.embedding_response_from_gemini({"embedding": {"values": [1.0]}}, "m")
    assert [item.embedding for item in response.data] == [(1.0,)]


def test_model_listing_strips_the_models_prefix() -> None:
    info = translate.model_info_from_gemini(
        {
            "name": "models/gemini-2.0-flash",
            "inputTokenLimit": 1048576,
            "outputTokenLimit": 8192,
            "supportedGenerationMethods": ["generateContent", "countTokens"],
        },
        CAPABILITIES,
    )
    assert (info.id, info.context_window, info.max_output_tokens) == (
        "gemini-2.0-flash",
        1048576,
        8192,
    )
    assert (info.features["generate_content"], info.features["embed_content"]) == (True, False)
