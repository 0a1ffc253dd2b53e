"""Every OpenAI-compatible service this distribution ships, as data.

Each preset is the defaults one connector ID starts from: the server root its
requests go to, the models it declares before any ``models`` option, and whether it
needs an API key (hosted services) or not (servers on the user's own machine). The
connector class in ``connector.py`` applies a preset under the options a
configuration gives, so any option given wins over the preset; this table is the
only place these defaults live, and ``docs/plugins/openai.md`` mirrors it.
"""

from __future__ import annotations

import attrs

from modelmesh_cdk.base.provider import CHAT_COMPLETION, ModelDeclaration

__all__ = ["PRESETS", "TEXT_EMBEDDINGS", "Preset"]

TEXT_EMBEDDINGS = "representation.embeddings.text-embeddings"


@attrs.frozen(kw_only=True)
class Preset:
    """One connector ID's defaults.

    ``api_key_env`` is the variable users usually keep the key in, named in the
    error when a hosted preset gets no key; None marks a local server, which needs
    no key.
    """

    connector_id: str
    class_name: str
    base_url: str
    api_key_env: str | None
    models: tuple[ModelDeclaration, ...] = ()

    @property
    def requires_api_key(self) -> bool:
        return self.api_key_env is not None


def _model(model_id: str, name: str, *capabilities: str) -> ModelDeclaration:
    return ModelDeclaration(id=model_id, name=name, capabilities=capabilities or (CHAT_COMPLETION,))


PRESETS: tuple[Preset, ...] = (
    Preset(
        connector_id="openai.llm.v1",
        class_name="OpenAIProvider",
        base_url="https://api.openai.com",
        api_key_env="OPENAI_API_KEY",
        models=(
            _model("openai.gpt-4o", "gpt-4o"),
            _model("openai.gpt-4o-mini", "gpt-4o-mini"),
        ),
    ),
    Preset(
        connector_id="deepseek.api.v1",
        class_name="DeepSeekProvider",
        base_url="https://api.deepseek.com",
        api_key_env="DEEPSEEK_API_KEY",
    ),
    Preset(
        connector_id="groq.api.v1",
        class_name="GroqProvider",
        base_url="https://api.groq.com/openai",
        api_key_env="GROQ_API_KEY",
        models=(_model("groq.llama-3.3-70b-versatile", "llama-3.3-70b-versatile"),),
    ),
    Preset(
        connector_id="mistral.api.v1",
        class_name="MistralProvider",
        base_url="https://api.mistral.ai",
        api_key_env="MISTRAL_API_KEY",
        models=(
            _model("mistral.mistral-large-latest", "mistral-large-latest"),
            _model(
                "mistral.mistral-small-latest",
                "mistral-small-latest",
                CHAT_COMPLETION,
                TEXT_EMBEDDINGS,
            ),
        ),
    ),
    Preset(
        connector_id="together.api.v1",
        class_name="TogetherProvider",
        base_url="https://api.together.xyz",
        api_key_env="TOGETHER_API_KEY",
    ),
    Preset(
        connector_id="openrouter.gateway.v1",
        class_name="OpenRouterProvider",
        base_url="https://openrouter.ai/api",
        api_key_env="OPENROUTER_API_KEY",
        models=(_model("openrouter.auto", "openrouter/auto"),),
    ),
    Preset(
        connector_id="xai.grok.v1",
        class_name="XAIProvider",
        base_url="https://api.x.ai",
        api_key_env="XAI_API_KEY",
    ),
    Preset(
        connector_id="perplexity.search.v1",
        class_name="PerplexityProvider",
        base_url="https://api.perplexity.ai",
        api_key_env="PERPLEXITY_API_KEY",
    ),
    Preset(
        connector_id="ollama.local.v1",
        class_name="OllamaProvider",
        base_url="http://localhost:11434",
        api_key_env=None,
        models=(_model("ollama.llama3", "llama3"),),
    ),
    Preset(
        connector_id="lmstudio.local.v1",
        class_name="LMStudioProvider",
        base_url="http://localhost:1234",
        api_key_env=None,
    ),
    Preset(
        connector_id="vllm.local.v1",
        class_name="VLLMProvider",
        base_url="http://localhost:8000",
        api_key_env=None,
    ),
    Preset(
        connector_id="localai.local.v1",
        class_name="LocalAIProvider",
        base_url="http://localhost:8080",
        api_key_env=None,
    ),
)
