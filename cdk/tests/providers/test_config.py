"""Provider options: built from one mapping, checked like YAML, the key never shown."""

from __future__ import annotations

import pytest

from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.provider import ModelPricing
from modelmesh_cdk.base.openai_compatible import OpenAICompatibleProvider
from modelmesh_cdk.base.provider import CHAT_COMPLETION, BaseProviderConfig, api_root

SECRET = "sk-config-9e8d7c6b5a"


def test_defaults():
    config = BaseProviderConfig(base_url="http://127.0.0.1:8000")
    assert (
        config.timeout,
        config.max_retries,
        config.retryable_codes,
        config.non_retryable_codes,
        config.capabilities,
    ) == (30.0, 3, (429, 500, 502, 503), (400, 401, 403), (CHAT_COMPLETION,))


def test_timeout_accepts_a_duration_string():
    provider = OpenAICompatibleProvider({"base_url": "http://127.0.0.1:8000", "timeout": "1.5s"})
    assert provider.config.timeout == 1.5


def test_missing_base_url_is_reported():
    with pytest.raises(ConfigurationError, match="base_url"):
        OpenAICompatibleProvider({})


def test_unknown_option_is_reported_with_the_closest_key():
    with pytest.raises(ConfigurationError, match="base_url"):
        OpenAICompatibleProvider({"base_url": "http://127.0.0.1:8000", "base_ulr": "x"})


def test_model_declarations_become_model_infos():
    provider = OpenAICompatibleProvider(
        {
            "base_url": "http://127.0.0.1:8000",
            "models": [
                {
                    "id": "gpt-small",
                    "name": "gpt-4o-mini",
                    "context_window": 128000,
                    "pricing": {"input_per_1k_tokens": 0.1, "output_per_1k_tokens": 0.4},
                }
            ],
        }
    )
    (model,) = provider.config.models
    info = model.to_model_info(provider.config.capabilities)
    assert (info.id, info.name, info.context_window, info.pricing, info.capabilities) == (
        "gpt-small",
        "gpt-4o-mini",
        128000,
        ModelPricing(0.1, 0.4),
        (CHAT_COMPLETION,),
    )


def test_a_model_without_a_name_is_sent_under_its_id():
    config = BaseProviderConfig(base_url="http://127.0.0.1:8000")
    provider = OpenAICompatibleProvider({"base_url": config.base_url, "models": [{"id": "llama3"}]})
    assert provider.config.models[0].to_model_info(()).name == "llama3"


def test_a_bad_value_does_not_echo_the_api_key():
    with pytest.raises(ConfigurationError) as caught:
        OpenAICompatibleProvider({"base_url": "not a url", "api_key": SECRET, "timeout": -1})
    assert SECRET not in str(caught.value)


def test_config_repr_hides_the_api_key():
    assert SECRET not in repr(BaseProviderConfig(base_url="http://h", api_key=SECRET))


def test_provider_repr_hides_the_api_key():
    provider = OpenAICompatibleProvider({"base_url": "http://127.0.0.1:8000", "api_key": SECRET})
    assert SECRET not in repr(provider)


@pytest.mark.parametrize(
    ("base_url", "root"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000"),
        ("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000"),
        ("https://api.groq.com/openai", "https://api.groq.com/openai"),
        ("https://api.groq.com/openai/v1", "https://api.groq.com/openai"),
    ],
)
def test_api_root_never_doubles_v1(base_url, root):
    assert api_root(base_url) == root
