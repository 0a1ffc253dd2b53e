"""OpenAI-compatible headers, custom JSON APIs, and the quick provider."""

from __future__ import annotations

from typing import Any

import pytest

from modelmesh.errors import BadRequestError, ProviderError
from modelmesh.interfaces.provider import Choice, CompletionRequest, CompletionResponse
from modelmesh_cdk.base.http_api import FORM, HttpApiProvider
from modelmesh_cdk.base.openai_compatible import OpenAICompatibleProvider
from modelmesh_cdk.base.quick import QuickProvider, create_quick_provider
from modelmesh_cdk.testing.fake_upstream import error, ok

pytestmark = pytest.mark.anyio


class PromptApi(HttpApiProvider):
    """A made-up API taking one prompt string and answering ``{"text": ...}``."""

    def _translate_request(self, request: CompletionRequest) -> tuple[str, Any]:
        prompt = "\n".join(str(m["content"]) for m in request.messages)
        return "/v1/chat/completions", {"model": request.model, "prompt": prompt}

    def _translate_response(self, data: Any, request: CompletionRequest) -> CompletionResponse:
        text = data["choices"][0]["message"]["content"]
        return CompletionResponse(
            id="prompt-api",
            model=request.model,
            choices=[Choice(message={"role": "assistant", "content": text.upper()})],
        )


async def test_organization_and_api_version_headers_are_sent(upstream, question):
    provider = OpenAICompatibleProvider(
        {"base_url": upstream.url, "organization": "org-1", "api_version": "2024-06-01"}
    )
    try:
        await provider.complete(question())
    finally:
        await provider.close()
    headers = upstream.requests[0].headers
    assert (headers["openai-organization"], headers["api-version"]) == ("org-1", "2024-06-01")


async def test_unset_organization_sends_no_header(provider, upstream, question):
    await provider.complete(question())
    assert "openai-organization" not in upstream.requests[0].headers


async def test_without_an_api_key_no_authorization_is_sent(upstream, question):
    provider = OpenAICompatibleProvider({"base_url": upstream.url})
    try:
        await provider.complete(question())
    finally:
        await provider.close()
    assert "authorization" not in upstream.requests[0].headers


async def test_extra_headers_are_sent(upstream, question):
    provider = OpenAICompatibleProvider({"base_url": upstream.url, "headers": {"X-Team": "a"}})
    try:
        await provider.complete(question())
    finally:
        await provider.close()
    assert upstream.requests[0].headers["x-team"] == "a"


@pytest.fixture
async def prompt_api(upstream):
    provider = PromptApi({"base_url": upstream.url})
    yield provider
    await provider.close()


async def test_http_api_sends_the_translated_body(prompt_api, upstream, question):
    await prompt_api.complete(question("hi"))
    assert upstream.requests[0].body == {"model": "fake-model", "prompt": "hi"}


async def test_http_api_returns_the_translated_response(prompt_api, question):
    response = await prompt_api.complete(question())
    assert response.content == "HELLO FROM THE FAKE UPSTREAM"


async def test_http_api_errors_are_classified(prompt_api, upstream, question):
    upstream.script(error(500))
    with pytest.raises(ProviderError) as caught:
        await prompt_api.complete(question())
    assert prompt_api.classify_error(caught.value).retryable


async def test_http_api_form_content_type_sends_a_form(upstream, question):
    provider = PromptApi({"base_url": upstream.url, "content_type": FORM})
    try:
        await provider.complete(question("hi"))
    finally:
        await provider.close()
    assert upstream.requests[0].body == b"model=fake-model&prompt=hi"


def test_http_api_needs_both_translations():
    class Half(HttpApiProvider):
        def _translate_request(self, request: CompletionRequest) -> tuple[str, Any]:
            return "/", {}

    with pytest.raises(TypeError, match="_translate_response"):
        Half({"base_url": "http://127.0.0.1:8000"})


async def test_quick_provider_needs_only_a_base_url(upstream, question):
    provider = create_quick_provider(upstream.url)
    try:
        response = await provider.complete(question())
    finally:
        await provider.close()
    assert response.content


async def test_quick_provider_discovers_models(upstream):
    provider = create_quick_provider(upstream.url, "sk-quick")
    try:
        models = await provider.list_models()
    finally:
        await provider.close()
    assert [m.id for m in models] == ["fake-model", "other-model"]


def test_quick_provider_takes_other_options():
    provider = create_quick_provider("http://127.0.0.1:8000", timeout="2s")
    assert isinstance(provider, QuickProvider)
    assert provider.config.timeout == 2.0


class ErrorsInside200(OpenAICompatibleProvider):
    """An upstream that reports some failures inside HTTP 200 answers."""

    def _parse_response(self, data: Any) -> CompletionResponse:
        if "refused" in data["choices"][0]["message"]["content"]:
            raise BadRequestError("the upstream refused inside a 200")
        return super()._parse_response(data)


async def test_a_hook_may_raise_a_provider_error_which_is_kept(upstream, question):
    upstream.script(ok("refused, sorry"))
    provider = ErrorsInside200({"base_url": upstream.url, "provider_id": "legacy"})
    try:
        with pytest.raises(BadRequestError) as caught:
            await provider.complete(question())
    finally:
        await provider.close()
    assert (caught.value.provider_id, caught.value.model_id) == ("legacy", "fake-model")


class BrokenParser(OpenAICompatibleProvider):
    def _parse_response(self, data: Any) -> CompletionResponse:
        return data["no such key"]


async def test_any_other_hook_failure_becomes_a_non_retryable_provider_error(upstream, question):
    provider = BrokenParser({"base_url": upstream.url})
    try:
        with pytest.raises(ProviderError) as caught:
            await provider.complete(question())
    finally:
        await provider.close()
    assert not provider.classify_error(caught.value).retryable
