"""Every connector ID of the distribution passes ModelMesh's standard provider tests,
against the kit's fake upstream.

One small suite per ID, because each ID is its own class with its own preset: a
preset that broke the shared code path would fail here under its own name. Local
servers run without a key, as their users run them.
"""

from __future__ import annotations

from typing import Any

from modelmesh_cdk.testing.suites import ProviderTests
from modelmesh_plugin_openai.connector import PROVIDERS, OpenAIPresetProvider


class PresetSuite(ProviderTests):
    """The standard suite for the provider registered as ``connector_id``."""

    connector_id: str

    @property
    def connector_class(self) -> type[OpenAIPresetProvider]:
        return PROVIDERS[self.connector_id]

    def connector_options(self, upstream_url: str) -> dict[str, Any]:
        if PROVIDERS[self.connector_id].preset.requires_api_key:
            return {"base_url": upstream_url, "api_key": "sk-test"}
        return {"base_url": upstream_url}


class TestOpenAI(PresetSuite):
    connector_id = "openai.llm.v1"


class TestDeepSeek(PresetSuite):
    connector_id = "deepseek.api.v1"


class TestGroq(PresetSuite):
    connector_id = "groq.api.v1"


class TestMistral(PresetSuite):
    connector_id = "mistral.api.v1"


class TestTogether(PresetSuite):
    connector_id = "together.api.v1"


class TestOpenRouter(PresetSuite):
    connector_id = "openrouter.gateway.v1"


class TestXAI(PresetSuite):
    connector_id = "xai.grok.v1"


class TestPerplexity(PresetSuite):
    connector_id = "perplexity.search.v1"


class TestOllama(PresetSuite):
    connector_id = "ollama.local.v1"


class TestLMStudio(PresetSuite):
    connector_id = "lmstudio.local.v1"


class TestVLLM(PresetSuite):
    connector_id = "vllm.local.v1"


class TestLocalAI(PresetSuite):
    connector_id = "localai.local.v1"


def test_every_connector_id_has_a_suite() -> None:
    covered = {suite.connector_id for suite in PresetSuite.__subclasses__()}
    assert covered == set(PROVIDERS)
