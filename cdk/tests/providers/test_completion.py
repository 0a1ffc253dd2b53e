"""complete(): one OpenAI call, every parameter passed through, the answer parsed."""

from __future__ import annotations

import pytest

from modelmesh_cdk.testing.fake_upstream import ok

pytestmark = pytest.mark.anyio


async def test_answer_is_parsed(provider, upstream, question):
    upstream.script(ok("Hi there"))
    response = await provider.complete(question())
    assert response.content == "Hi there"


async def test_posts_to_v1_chat_completions(provider, upstream, question):
    await provider.complete(question())
    assert [(r.method, r.path) for r in upstream.requests] == [("POST", "/v1/chat/completions")]


async def test_model_string_is_sent_as_given(provider, upstream, question):
    await provider.complete(question())
    assert upstream.requests[0].body["model"] == "fake-model"


async def test_every_parameter_reaches_the_upstream_untouched(provider, upstream, question):
    request = question(
        temperature=0.2,
        top_p=0.5,
        stop=["END"],
        max_tokens=7,
        user="u-1",
        extra={
            "seed": 42,
            "response_format": {"type": "json_object"},
            "logit_bias": {"50256": -100},
            "vendor_option": [1, {"deep": None}],
        },
    )
    await provider.complete(request)
    assert upstream.requests[0].body == request.to_openai_payload()


async def test_api_key_is_sent_as_bearer_token(provider, upstream, question, api_key):
    await provider.complete(question())
    assert upstream.requests[0].headers["authorization"] == f"Bearer {api_key}"


async def test_usage_is_parsed(provider, upstream, question):
    upstream.script(ok(usage={"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}))
    response = await provider.complete(question())
    assert response.usage.total_tokens == 7


async def test_each_call_counts_towards_the_local_quota(provider, question):
    await provider.complete(question())
    await provider.complete(question())
    assert (await provider.check_quota()).used == 2
