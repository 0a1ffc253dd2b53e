"""A fresh fake upstream per test and a provider pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from modelmesh.clock import ManualClock
from modelmesh.interfaces.provider import CompletionRequest
from modelmesh_cdk.base.openai_compatible import OpenAICompatibleProvider
from modelmesh_cdk.testing.fake_upstream import FakeUpstream

API_KEY = "sk-test-4f9a8b7c6d5e"


def _question(text: str = "two words", **parameters: Any) -> CompletionRequest:
    return CompletionRequest(
        model="fake-model", messages=[{"role": "user", "content": text}], **parameters
    )


@pytest.fixture
def question() -> Callable[..., CompletionRequest]:
    """Builds a chat request for ``fake-model``; keywords are request parameters."""
    return _question


@pytest.fixture
def api_key() -> str:
    return API_KEY


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(models=("fake-model", "other-model")) as server:
        yield server


@pytest.fixture
async def provider(upstream: FakeUpstream) -> AsyncIterator[OpenAICompatibleProvider]:
    connector = OpenAICompatibleProvider(
        {"base_url": upstream.url, "api_key": API_KEY, "provider_id": "acme", "timeout": 5},
        clock=ManualClock(),
    )
    yield connector
    await connector.close()
