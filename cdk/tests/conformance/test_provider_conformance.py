"""BaseProvider, OpenAICompatibleProvider and QuickProvider pass the standard provider suite."""

from __future__ import annotations

from typing import Any

from modelmesh_cdk.base.openai_compatible import OpenAICompatibleProvider
from modelmesh_cdk.base.provider import BaseProvider
from modelmesh_cdk.base.quick import QuickProvider
from modelmesh_cdk.testing.suites import ProviderTests


class TestBaseProvider(ProviderTests):
    connector_class = BaseProvider

    def connector_options(self, upstream_url: str) -> dict[str, Any]:
        return {"base_url": upstream_url, "api_key": "sk-conformance"}


class TestOpenAICompatibleProvider(TestBaseProvider):
    connector_class = OpenAICompatibleProvider


class TestQuickProvider(TestBaseProvider):
    connector_class = QuickProvider
