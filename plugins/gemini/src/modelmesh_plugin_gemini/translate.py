"""OpenAI shapes to Gemini's and back, as pure functions.

The router and its callers speak OpenAI's chat-completion and embeddings shapes; the
Gemini API speaks ``contents``/``parts``. Keeping the translation free of I/O lets it
be tested (and reasoned about) one mapping at a time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from modelmesh.errors import BadRequestError, ContentFilterError
from modelmesh.interfaces.provider import (
    Choice,
    ChunkChoice,
    CompletionChunk,
    CompletionRequest,
    CompletionResponse,
    Embedding,
    EmbeddingRequest,
    EmbeddingResponse,
    ModelInfo,
    TokenUsage,
)

__all__ = [
    "FINISH_REASONS",
    "chunk_from_gemini",
    "embedding_request_to_gemini",
    "embedding_response_from_gemini",
    "finish_reason",
    "model_info_from_gemini",
    "model_path",
    "request_to_gemini",
    "response_from_gemini",
    "usage_from_gemini",
]

FINISH_REASONS: dict[str, str] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "MALFORMED_FUNCTION_CALL": "stop",
}
_MODELS_PREFIX = "models/"
# OpenAI parameters with a generationConfig counterpart.
_GENERATION_EXTRAS = {
    "seed": "seed",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
    "n": "candidateCount",
    "logprobs": "responseLogprobs",
    "top_logprobs": "logprobs",
}
_TOOL_CHOICE_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY"}


def model_path(model: str) -> str:
    """The model as it appears in a request path: ``models/<id>`` is accepted too."""
    return model.removeprefix(_MODELS_PREFIX)


# --- requests ---------------------------------------------------------------------------


def request_to_gemini(request: CompletionRequest) -> dict[str, Any]:
    """A GenerateContentRequest body for an OpenAI chat request.

    System messages become ``systemInstruction``; assistant turns are role ``model``;
    tool results become ``functionResponse`` parts. Parameters with a Gemini
    counterpart are renamed; any other extra parameter is passed on as a top-level
    field, so Gemini-native ones (``safetySettings``, ``cachedContent``) work and a
    typo is rejected by the upstream rather than dropped silently.
    """
    system, contents = _contents(request.messages)
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": [{"text": text} for text in system]}
    generation: dict[str, Any] = {}
    if request.temperature is not None:
        generation["temperature"] = request.temperature
    if request.top_p is not None:
        generation["topP"] = request.top_p
    if request.max_tokens is not None:
        generation["maxOutputTokens"] = request.max_tokens
    if request.stop is not None:
        generation["stopSequences"] = (
            [request.stop] if isinstance(request.stop, str) else list(request.stop)
        )
    if request.tools:
        body["tools"] = [{"functionDeclarations": [_declaration(tool) for tool in request.tools]}]
    if request.tool_choice is not None:
        body["toolConfig"] = {"functionCallingConfig": _calling_config(request.tool_choice)}
    for name, value in request.extra.items():
        if name in _GENERATION_EXTRAS:
            generation[_GENERATION_EXTRAS[name]] = value
        elif name == "response_format":
            generation.update(_response_format(value))
        elif name == "max_completion_tokens":
            generation["maxOutputTokens"] = value
        elif name == "generationConfig" and isinstance(value, Mapping):
            generation.update(value)
        else:
            body[name] = value
    if generation:
        body["generationConfig"] = generation
    return body


def _contents(messages: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """System texts and the conversation; adjacent turns of one role are merged,
    because Gemini expects user and model turns to alternate."""
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    call_names: dict[str, str] = {}
    for position, message in enumerate(messages):
        role = message.get("role")
        if role in ("system", "developer"):
            system.append(_text_of(message.get("content"), position))
            continue
        if role == "user":
            gemini_role, parts = "user", _user_parts(message.get("content"), position)
        elif role == "assistant":
            gemini_role, parts = "model", _assistant_parts(message, call_names)
        elif role in ("tool", "function"):
            gemini_role, parts = "user", [_function_response(message, call_names, position)]
        else:
            raise BadRequestError(
                f"message {position} has role {role!r}; Gemini accepts system, user, "
                "assistant and tool messages"
            )
        if not parts:
            continue
        if contents and contents[-1]["role"] == gemini_role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": gemini_role, "parts": parts})
    return system, contents


def _text_of(content: Any, position: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return "".join(
            part.get("text", "")
            for part in content
            if isinstance(part, Mapping) and part.get("type") == "text"
        )
    raise BadRequestError(f"message {position} has no text content")


def _user_parts(content: Any, position: int) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}]
    parts: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "text":
            parts.append({"text": part.get("text", "")})
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url", "") if isinstance(image, Mapping) else str(image or "")
            parts.append(_image_part(url))
        else:
            raise BadRequestError(
                f"message {position} has a content part of type {kind!r}; "
                "Gemini requests take text and image_url parts"
            )
    return parts


def _image_part(url: str) -> dict[str, Any]:
    """A data URL travels inline; any other URL as a file reference."""
    if url.startswith("data:") and ";base64," in url:
        header, data = url[len("data:") :].split(";base64,", 1)
        return {"inlineData": {"mimeType": header or "application/octet-stream", "data": data}}
    return {"fileData": {"fileUri": url}}


def _assistant_parts(
    message: Mapping[str, Any], call_names: dict[str, str]
) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    content = message.get("content")
    if content:
        parts.append({"text": _text_of(content, 0)})
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        name = str(function.get("name", ""))
        if call.get("id"):
            call_names[str(call["id"])] = name
        parts.append({"functionCall": {"name": name, "args": _arguments(function)}})
    return parts


def _arguments(function: Mapping[str, Any]) -> dict[str, Any]:
    arguments = function.get("arguments") or "{}"
    if isinstance(arguments, Mapping):
        return dict(arguments)
    try:
        parsed = json.loads(arguments)
    except ValueError as exc:
        raise BadRequestError(
            f"tool call {function.get('name')!r} has arguments that are not JSON; "
            "send them as a JSON object string"
        ) from exc
    return parsed if isinstance(parsed, dict) else {"value": parsed}


def _function_response(
    message: Mapping[str, Any], call_names: dict[str, str], position: int
) -> dict[str, Any]:
    """Gemini pairs a result with its call by function name, and wants an object."""
    name = message.get("name") or call_names.get(str(message.get("tool_call_id")))
    if not name:
        raise BadRequestError(
            f"tool message {position} answers no earlier tool call "
            f"(tool_call_id {message.get('tool_call_id')!r}); give its function name in 'name'"
        )
    content = message.get("content")
    text = content if isinstance(content, str) else _text_of(content or [], position)
    try:
        result = json.loads(text)
    except ValueError:
        result = text
    response = result if isinstance(result, dict) else {"content": result}
    return {"functionResponse": {"name": name, "response": response}}


def _declaration(tool: Mapping[str, Any]) -> dict[str, Any]:
    if tool.get("type", "function") != "function":
        raise BadRequestError(f"tool of type {tool.get('type')!r}: Gemini takes function tools")
    function = tool.get("function") or {}
    declaration = {"name": function.get("name")}
    for key in ("description", "parameters"):
        if function.get(key) is not None:
            declaration[key] = function[key]
    return declaration


def _calling_config(choice: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(choice, str):
        if choice not in _TOOL_CHOICE_MODES:
            raise BadRequestError(
                f"tool_choice {choice!r}: expected auto, none, required or a function"
            )
        return {"mode": _TOOL_CHOICE_MODES[choice]}
    name = (choice.get("function") or {}).get("name")
    return {"mode": "ANY", "allowedFunctionNames": [name]}


def _response_format(value: Any) -> dict[str, Any]:
    kind = value.get("type") if isinstance(value, Mapping) else None
    if kind == "json_object":
        return {"responseMimeType": "application/json"}
    if kind == "json_schema":
        schema = (value.get("json_schema") or {}).get("schema")
        config: dict[str, Any] = {"responseMimeType": "application/json"}
        if schema is not None:
            config["responseJsonSchema"] = schema
        return config
    return {"responseMimeType": "text/plain"}


# --- responses --------------------------------------------------------------------------


def finish_reason(reason: str | None, *, has_tool_calls: bool = False) -> str | None:
    """OpenAI's finish reason for Gemini's; a turn that ends in calls is ``tool_calls``."""
    if reason is None or reason == "FINISH_REASON_UNSPECIFIED":
        return None
    mapped = FINISH_REASONS.get(reason, "stop")
    return "tool_calls" if has_tool_calls and mapped == "stop" else mapped


def usage_from_gemini(metadata: Mapping[str, Any] | None) -> TokenUsage:
    metadata = metadata or {}
    prompt = int(metadata.get("promptTokenCount") or 0)
    completion = int(metadata.get("candidatesTokenCount") or 0)
    total = int(metadata.get("totalTokenCount") or prompt + completion)
    return TokenUsage(prompt, completion, total)


def _raise_if_blocked(data: Mapping[str, Any]) -> None:
    reason = (data.get("promptFeedback") or {}).get("blockReason")
    if reason:
        raise ContentFilterError(f"Gemini blocked the prompt (blockReason {reason})")


def _message_parts(parts: Sequence[Mapping[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    """Joined answer text (thoughts left out) and the function calls as tool calls."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in parts:
        if "text" in part and not part.get("thought"):
            texts.append(str(part["text"]))
        elif "functionCall" in part:
            call = part["functionCall"]
            calls.append(
                {
                    "id": str(call.get("id") or f"call_{len(calls)}"),
                    "type": "function",
                    "function": {
                        "name": call.get("name", ""),
                        "arguments": json.dumps(call.get("args") or {}),
                    },
                }
            )
    return ("".join(texts) if texts else None), calls


def response_from_gemini(data: Mapping[str, Any], model: str) -> CompletionResponse:
    """A chat.completion for a GenerateContentResponse; a blocked prompt raises
    ContentFilterError, since there is no answer to return."""
    _raise_if_blocked(data)
    choices = []
    for position, candidate in enumerate(data.get("candidates") or ()):
        text, calls = _message_parts((candidate.get("content") or {}).get("parts") or ())
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            message["tool_calls"] = calls
        choices.append(
            Choice(
                message=message,
                index=int(candidate.get("index", position)),
                finish_reason=finish_reason(
                    candidate.get("finishReason"), has_tool_calls=bool(calls)
                ),
            )
        )
    return CompletionResponse(
        id=str(data.get("responseId") or ""),
        model=str(data.get("modelVersion") or model),
        choices=choices,
        usage=usage_from_gemini(data.get("usageMetadata")),
        raw=data,
    )


def chunk_from_gemini(data: Mapping[str, Any], model: str) -> CompletionChunk:
    """One streamed GenerateContentResponse as a chunk; usage rides on the chunk that
    finishes, as in OpenAI streams."""
    _raise_if_blocked(data)
    choices = []
    finished = False
    for position, candidate in enumerate(data.get("candidates") or ()):
        text, calls = _message_parts((candidate.get("content") or {}).get("parts") or ())
        delta: dict[str, Any] = {"role": "assistant"}
        if text is not None:
            delta["content"] = text
        if calls:
            delta["tool_calls"] = [{"index": index, **call} for index, call in enumerate(calls)]
        reason = finish_reason(candidate.get("finishReason"), has_tool_calls=bool(calls))
        finished = finished or reason is not None
        choices.append(
            ChunkChoice(
                delta=delta, index=int(candidate.get("index", position)), finish_reason=reason
            )
        )
    usage = data.get("usageMetadata")
    return CompletionChunk(
        id=str(data.get("responseId") or ""),
        model=str(data.get("modelVersion") or model),
        choices=choices,
        usage=usage_from_gemini(usage) if finished and usage else None,
    )


# --- embeddings and models -----------------------------------------------------------------


def embedding_request_to_gemini(request: EmbeddingRequest) -> tuple[str, dict[str, Any]]:
    """The method (``embedContent`` for one text, ``batchEmbedContents`` for a list)
    and its body."""
    inputs = request.input
    model = f"{_MODELS_PREFIX}{model_path(request.model)}"

    def one(text: Any) -> dict[str, Any]:
        if not isinstance(text, str):
            raise BadRequestError("Gemini embeds text: send each input as a string, not token ids")
        item: dict[str, Any] = {"model": model, "content": {"parts": [{"text": text}]}}
        if request.dimensions is not None:
            item["outputDimensionality"] = request.dimensions
        item.update(request.extra)
        return item

    if isinstance(inputs, str):
        return "embedContent", one(inputs)
    return "batchEmbedContents", {"requests": [one(text) for text in inputs]}


def embedding_response_from_gemini(data: Mapping[str, Any], model: str) -> EmbeddingResponse:
    """OpenAI's embeddings shape for either method's answer."""
    vectors = [data["embedding"]] if "embedding" in data else list(data.get("embeddings") or ())
    return EmbeddingResponse(
        model=model,
        data=[
            Embedding(embedding=tuple(vector.get("values") or ()), index=index)
            for index, vector in enumerate(vectors)
        ],
    )


def model_info_from_gemini(item: Mapping[str, Any], capabilities: tuple[str, ...]) -> ModelInfo:
    """One entry of ``GET /models``, its ``models/`` prefix stripped."""
    model_id = model_path(str(item["name"]))
    methods = item.get("supportedGenerationMethods") or ()
    return ModelInfo(
        id=model_id,
        name=model_id,
        capabilities=capabilities,
        context_window=item.get("inputTokenLimit"),
        max_output_tokens=item.get("outputTokenLimit"),
        features={
            "generate_content": "generateContent" in methods,
            "stream_generate_content": "streamGenerateContent" in methods,
            "embed_content": "embedContent" in methods,
        },
    )
