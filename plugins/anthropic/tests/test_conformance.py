"""AnthropicProvider passes ModelMesh's standard provider tests, against a fake upstream
that speaks Anthropic's Messages API."""

from __future__ import annotations

from typing import Any

import pytest

from modelmesh_cdk.testing.fake_upstream import FakeUpstream
from modelmesh_cdk.testing.suites import ProviderTests
from modelmesh_plugin_anthropic.connector import AnthropicProvider


class TestAnthropicProvider(ProviderTests):
    connector_class = AnthropicProvider
    supports_embeddings = False

    def connector_options(self, upstream_url: str) -> dict[str, Any]:
        return {"base_url": upstream_url, "api_key": "sk-ant-test"}

    @pytest.fixture
    def upstream(self, anthropic_upstream: FakeUpstream) -> FakeUpstream:
        return anthropic_upstream

    @pytest.mark.xfail(
        reason="seed and response_format are OpenAI-only; the Messages API refuses unknown "
        "fields, so the connector drops them (test_translation checks what passes through)",
        strict=True,
    )
    def test_unknown_request_parameters_reach_upstream(self, upstream: FakeUpstream) -> None:
        super().test_unknown_request_parameters_reach_upstream(upstream)
