"""ProviderConnector: what a provider must implement and what it gets for free."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from modelmesh.interfaces.provider import (
    ChunkChoice,
    CompletionChunk,
    CompletionRequest,
    CompletionResponse,
    EmbeddingRequest,
    ErrorCategory,
    ErrorClassification,
    ModelInfo,
    ModelPricing,
    ProviderConnector,
    QuotaStatus,
    RateLimitStatus,
    TokenUsage,
)

CHAT = "generation.text-generation.chat-completion"
REQUEST = CompletionRequest("echo-1", [{"role": "user", "content": "hi"}])


class EchoProvider(ProviderConnector):
    """The smallest complete provider: echoes the last message back."""

    def __init__(self) -> None:
        self.usage: list[tuple[str, TokenUsage]] = []

    async def complete(self, request):
        return CompletionResponse("id", request.model, [], TokenUsage(1, 1))

    async def stream(self, request):
        for word in ("he", "llo"):
            yield CompletionChunk("id", request.model, [ChunkChoice(delta={"content": word})])

    def get_capabilities(self):
        return [CHAT]

    async def list_models(self):
        return [ModelInfo("echo-1", "Echo", [CHAT], pricing=ModelPricing(1.0, 2.0))]

    async def check_quota(self):
        return QuotaStatus()

    async def get_rate_limits(self):
        return RateLimitStatus()

    async def get_pricing(self, model_id):
        return (await self.get_model_info(model_id)).pricing

    def report_usage(self, model_id, usage):
        self.usage.append((model_id, usage))

    def classify_error(self, exc):
        if isinstance(exc, TimeoutError):
            return ErrorClassification(True, ErrorCategory.TIMEOUT)
        return ErrorClassification(False, ErrorCategory.CLIENT, 400)


REQUIRED = {
    "complete",
    "stream",
    "get_capabilities",
    "list_models",
    "check_quota",
    "get_rate_limits",
    "get_pricing",
    "report_usage",
    "classify_error",
}
ASYNC = [
    "complete",
    "embed",
    "list_models",
    "get_model_info",
    "check_quota",
    "get_rate_limits",
    "get_pricing",
    "submit_batch",
    "upload_file",
    "create_fine_tune",
    "discover_models",
    "close",
]
SYNC = ["get_capabilities", "supports", "report_usage", "classify_error", "is_retryable"]


def test_a_provider_must_implement_the_required_sub_interfaces():
    assert ProviderConnector.__abstractmethods__ == REQUIRED


def test_a_provider_without_its_methods_cannot_be_instantiated():
    with pytest.raises(TypeError, match="abstract"):
        ProviderConnector()  # type: ignore[abstract]


@pytest.mark.parametrize("method", ASYNC)
def test_execution_catalogue_quota_and_pricing_methods_are_async(method):
    assert inspect.iscoroutinefunction(getattr(ProviderConnector, method))


def test_stream_is_declared_as_an_async_generator():
    assert inspect.isasyncgenfunction(ProviderConnector.stream)


@pytest.mark.parametrize("method", SYNC)
def test_hot_path_methods_are_sync(method):
    function = getattr(ProviderConnector, method)
    assert not inspect.iscoroutinefunction(function)
    assert not inspect.isasyncgenfunction(function)


def test_a_minimal_provider_streams_chunks():
    async def collect():
        return [chunk.content async for chunk in EchoProvider().stream(REQUEST)]

    assert asyncio.run(collect()) == ["he", "llo"]


def test_is_retryable_follows_classify_error():
    provider = EchoProvider()

    assert provider.is_retryable(TimeoutError()) is True
    assert provider.is_retryable(ValueError()) is False


def test_supports_is_true_for_a_served_capability():
    assert EchoProvider().supports(CHAT)


def test_supports_is_true_for_a_tree_node_above_a_served_capability():
    assert EchoProvider().supports("generation.text-generation")


def test_supports_is_false_for_a_sibling_that_only_shares_a_prefix():
    assert not EchoProvider().supports("generation.text-generation.chat")


def test_get_model_info_finds_a_model_of_the_catalogue():
    assert asyncio.run(EchoProvider().get_model_info("echo-1")).name == "Echo"


def test_get_model_info_raises_key_error_naming_an_unknown_model():
    with pytest.raises(KeyError, match="'nope'"):
        asyncio.run(EchoProvider().get_model_info("nope"))


def test_embed_says_the_provider_does_not_serve_embeddings():
    with pytest.raises(NotImplementedError, match="EchoProvider does not support embeddings"):
        asyncio.run(EchoProvider().embed(EmbeddingRequest("e", "text")))


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (lambda p: p.submit_batch([REQUEST]), "batch jobs"),
        (lambda p: p.upload_file(b"x", filename="f.jsonl", purpose="batch"), "file upload"),
        (lambda p: p.create_fine_tune("file-1", model="m"), "fine-tuning"),
        (lambda p: p.discover_models(), "model discovery"),
    ],
)
def test_infrastructure_defaults_say_which_provider_lacks_what(call, what):
    with pytest.raises(NotImplementedError, match=f"EchoProvider does not support {what}"):
        asyncio.run(call(EchoProvider()))


def test_close_is_a_no_op_by_default():
    assert asyncio.run(EchoProvider().close()) is None
