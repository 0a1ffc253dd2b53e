"""Providers found in the environment, and the configuration built from them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.autodetect import (
    KNOWN_PROVIDERS,
    Detection,
    NoProvidersDetectedError,
    build_config,
    describe_detection,
    detect,
    scan,
)
from modelmesh.config import load_config
from modelmesh.errors import ConfigurationError, ModelMeshError

ALL = {entry.connector_id for entry in KNOWN_PROVIDERS}
KEY = "sk-test-0123456789abcdef"
CHAT = "generation.text-generation.chat-completion"


def providers_of(detected):
    return [provider.connector_id for provider in detected]


# --- the registry -------------------------------------------------------------------------


def test_the_registry_knows_17_key_variables_and_4_host_variables():
    keys = {e.env_var: e.connector_id for e in KNOWN_PROVIDERS if not e.host}
    hosts = {e.env_var: e.connector_id for e in KNOWN_PROVIDERS if e.host}

    assert keys == {
        "OPENAI_API_KEY": "openai.llm.v1",
        "ANTHROPIC_API_KEY": "anthropic.claude.v1",
        "GOOGLE_API_KEY": "google.gemini.v1",
        "GROQ_API_KEY": "groq.api.v1",
        "MISTRAL_API_KEY": "mistral.api.v1",
        "TOGETHER_API_KEY": "together.api.v1",
        "OPENROUTER_API_KEY": "openrouter.gateway.v1",
        "DEEPSEEK_API_KEY": "deepseek.api.v1",
        "XAI_API_KEY": "xai.grok.v1",
        "COHERE_API_KEY": "cohere.nlp.v1",
        "PERPLEXITY_API_KEY": "perplexity.search.v1",
        "ELEVENLABS_API_KEY": "elevenlabs.tts.v1",
        "TAVILY_API_KEY": "tavily.search.v1",
        "SERPER_API_KEY": "serper.search.v1",
        "JINA_API_KEY": "jina.ai.v1",
        "FIRECRAWL_API_KEY": "firecrawl.scrape.v1",
        "ASSEMBLYAI_API_KEY": "assemblyai.stt.v1",
    }
    assert hosts == {
        "OLLAMA_HOST": "ollama.local.v1",
        "LMSTUDIO_HOST": "lmstudio.local.v1",
        "VLLM_HOST": "vllm.local.v1",
        "LOCALAI_HOST": "localai.local.v1",
    }


@pytest.mark.parametrize(
    ("env_var", "models"),
    [
        ("OPENAI_API_KEY", ["openai.gpt-4o", "openai.gpt-4o-mini"]),
        ("ANTHROPIC_API_KEY", ["claude-sonnet-4-20250514", "claude-haiku-4-5-20251001"]),
        ("GOOGLE_API_KEY", ["gemini-2.0-flash", "gemini-2.0-flash-lite"]),
        ("GROQ_API_KEY", ["groq.llama-3.3-70b-versatile"]),
        ("MISTRAL_API_KEY", ["mistral.mistral-large-latest", "mistral.mistral-small-latest"]),
        ("OPENROUTER_API_KEY", ["openrouter.auto"]),
        ("OLLAMA_HOST", ["ollama.llama3"]),
        ("TOGETHER_API_KEY", []),
        ("VLLM_HOST", []),
    ],
)
def test_default_models(env_var, models):
    [entry] = [e for e in KNOWN_PROVIDERS if e.env_var == env_var]

    assert [m.id for m in entry.models] == models


def test_mistral_small_also_serves_embeddings():
    [mistral] = [e for e in KNOWN_PROVIDERS if e.env_var == "MISTRAL_API_KEY"]

    assert "representation.embeddings.text-embeddings" in mistral.models[1].capabilities


# --- detection ----------------------------------------------------------------------------


def test_a_set_key_variable_is_detected():
    [found] = detect({"OPENAI_API_KEY": KEY}, installed=ALL)

    assert found.env_var == "OPENAI_API_KEY"
    assert found.connector_id == found.provider == "openai.llm.v1"
    assert found.api_key == KEY
    assert found.base_url is None
    assert found.source == "environment"


def test_empty_variables_are_not_detected():
    assert (
        detect({"OPENAI_API_KEY": "", "GROQ_API_KEY": "  ", "OLLAMA_HOST": ""}, installed=ALL) == []
    )


def test_unrelated_variables_are_ignored():
    assert detect({"HOME": "/root", "OPENAI_KEY": KEY}, installed=ALL) == []


def test_providers_come_in_registry_order():
    environ = {"OLLAMA_HOST": "http://h:1", "GROQ_API_KEY": KEY, "OPENAI_API_KEY": KEY}

    assert providers_of(detect(environ, installed=ALL)) == [
        "openai.llm.v1",
        "groq.api.v1",
        "ollama.local.v1",
    ]


@pytest.mark.parametrize(
    ("value", "base_url"),
    [
        ("http://gpu-box:11434", "http://gpu-box:11434"),
        ("http://gpu-box:11434/", "http://gpu-box:11434"),
        ("localhost:11434", "http://localhost:11434"),
        ("https://ollama.example.com", "https://ollama.example.com"),
    ],
)
def test_a_host_variable_gives_the_base_url_and_no_key(value, base_url):
    [found] = detect({"OLLAMA_HOST": value}, installed=ALL)

    assert found.connector_id == "ollama.local.v1"
    assert found.base_url == base_url
    assert found.api_key is None


def test_the_key_is_hidden_in_reprs():
    detection = scan({"OPENAI_API_KEY": KEY}, installed=ALL)

    assert KEY not in repr(detection)
    assert KEY not in repr(detection.found[0])
    assert KEY not in str(detection.found)


def test_a_variable_without_an_installed_connector_is_skipped_and_reported():
    detection = scan({"OPENAI_API_KEY": KEY, "COHERE_API_KEY": KEY}, installed={"groq.api.v1"})

    assert detection.found == ()
    assert [(m.env_var, m.connector_id, m.install) for m in detection.missing] == [
        ("OPENAI_API_KEY", "openai.llm.v1", "pip install modelmesh-plugin-openai"),
        ("COHERE_API_KEY", "cohere.nlp.v1", None),
    ]


def test_detect_logs_skipped_variables_without_their_values(caplog):
    with caplog.at_level(logging.WARNING, logger="modelmesh"):
        found = detect({"ANTHROPIC_API_KEY": KEY}, installed=set())

    assert found == []
    assert "ANTHROPIC_API_KEY" in caplog.text
    assert "pip install modelmesh-plugin-anthropic" in caplog.text
    assert KEY not in caplog.text


def test_installed_connectors_are_read_from_package_metadata():
    # The workspace installs the OpenAI-compatible plugin; nothing is imported to know it.
    found = detect({"OPENAI_API_KEY": KEY, "ASSEMBLYAI_API_KEY": KEY})

    assert providers_of(found) == ["openai.llm.v1"]


@pytest.mark.parametrize("name", ["openai", "OpenAI", "openai.llm.v1", "OPENAI_API_KEY"])
def test_the_providers_filter_accepts_vendor_connector_and_variable_names(name):
    environ = {"OPENAI_API_KEY": KEY, "GROQ_API_KEY": KEY}

    assert providers_of(detect(environ, providers=[name], installed=ALL)) == ["openai.llm.v1"]


def test_the_providers_filter_refuses_unknown_names():
    with pytest.raises(ValueError, match=r"unknown provider 'opnai'.*openai"):
        detect({"OPENAI_API_KEY": KEY}, providers=["opnai"], installed=ALL)


def test_api_keys_alone_decide_which_providers_are_used():
    environ = {"OPENAI_API_KEY": KEY, "GROQ_API_KEY": KEY, "OLLAMA_HOST": "http://h:1"}

    found = detect(environ, api_keys={"anthropic": "sk-ant"}, installed=ALL)

    assert providers_of(found) == ["anthropic.claude.v1"]
    assert found[0].api_key == "sk-ant"
    assert found[0].source == "api_keys"


@pytest.mark.parametrize("name", ["groq", "groq.api.v1", "GROQ_API_KEY"])
def test_api_keys_accept_provider_and_variable_names(name):
    [found] = detect({}, api_keys={name: "gsk"}, installed=ALL)

    assert found.connector_id == "groq.api.v1"


def test_api_keys_for_a_local_server_take_its_url_from_the_environment():
    [found] = detect({"OLLAMA_HOST": "http://gpu:11434"}, api_keys={"ollama": "t"}, installed=ALL)

    assert found.base_url == "http://gpu:11434"


def test_an_empty_api_key_is_refused():
    with pytest.raises(ValueError, match=r"api_keys\['openai'\] is empty"):
        detect({}, api_keys={"openai": " "}, installed=ALL)


def test_the_providers_filter_applies_to_api_keys_too():
    found = detect({}, api_keys={"openai": "a", "groq": "b"}, providers=["groq"], installed=ALL)

    assert providers_of(found) == ["groq.api.v1"]


# --- the human description ----------------------------------------------------------------


def test_describe_lists_found_and_skipped_providers_without_keys():
    text = describe_detection(
        {"OPENAI_API_KEY": KEY, "OLLAMA_HOST": "localhost:11434", "JINA_API_KEY": KEY},
        installed=ALL - {"jina.ai.v1"},
    )

    assert "OPENAI_API_KEY" in text
    assert "openai.gpt-4o" in text
    assert "http://localhost:11434" in text
    assert "Skipped JINA_API_KEY" in text
    assert KEY not in text


def test_describe_says_what_to_set_when_nothing_is_found():
    text = describe_detection({}, installed=ALL)

    for entry in KNOWN_PROVIDERS:
        assert entry.env_var in text


# --- building a configuration -------------------------------------------------------------


def config_for(environ, *capabilities, **options):
    detection = scan(environ, installed=ALL)
    raw = build_config(capabilities, detected=detection, **options)
    return raw, load_config(raw, environ=environ)


@pytest.mark.parametrize(
    "environ",
    [
        {"OPENAI_API_KEY": KEY},
        {"ANTHROPIC_API_KEY": KEY},
        {"GOOGLE_API_KEY": KEY, "GROQ_API_KEY": KEY},
        {"OLLAMA_HOST": "localhost:11434"},
        {"MISTRAL_API_KEY": KEY, "OPENROUTER_API_KEY": KEY, "DEEPSEEK_API_KEY": KEY},
    ],
)
def test_the_built_configuration_loads(environ):
    _, config = config_for(environ, "chat-completion")

    assert list(config.pools) == ["chat-completion"]
    assert config.pools["chat-completion"].capability == CHAT
    assert config.pools["chat-completion"].strategy == "modelmesh.stick-until-failure.v1"
    assert set(config.providers) == {p.connector_id for p in scan(environ, installed=ALL).found}
    assert [s.connector for s in config.observability.sinks] == ["modelmesh.null.v1"]
    assert config.storage.connector == "modelmesh.memory.v1"


def test_keys_from_the_environment_are_references_resolved_by_the_loader():
    raw, config = config_for({"OPENAI_API_KEY": KEY}, "chat-completion")

    assert raw["providers"]["openai.llm.v1"]["api_key"] == "${OPENAI_API_KEY}"
    assert KEY not in repr(raw)
    assert config.providers["openai.llm.v1"].api_key == KEY
    assert KEY not in repr(config)


def test_keys_given_in_code_are_written_into_the_configuration_verbatim():
    detection = scan({}, api_keys={"openai": "sk-${not-a-reference}"}, installed=ALL)

    config = load_config(build_config(["chat-completion"], detected=detection), environ={})

    assert config.providers["openai.llm.v1"].api_key == "sk-${not-a-reference}"


def test_a_host_variable_becomes_the_providers_base_url():
    _, config = config_for(
        {"VLLM_HOST": "http://gpu:8000", "OLLAMA_HOST": "h:1"}, "chat-completion"
    )

    assert config.providers["vllm.local.v1"].base_url == "http://gpu:8000"
    assert config.providers["ollama.local.v1"].api_key is None


def test_models_carry_their_upstream_name_and_capabilities():
    _, config = config_for({"OPENAI_API_KEY": KEY}, "chat-completion")

    model = config.models["openai.gpt-4o"]
    assert model.provider == "openai.llm.v1"
    assert model.upstream_name == "gpt-4o"
    assert model.capabilities == (CHAT,)


def test_one_pool_per_capability_named_as_given_with_its_canonical_path():
    _, config = config_for(
        {"MISTRAL_API_KEY": KEY}, "text-generation", "text-embeddings", "generation"
    )

    assert {name: pool.capability for name, pool in config.pools.items()} == {
        "text-generation": "generation.text-generation",
        "text-embeddings": "representation.embeddings.text-embeddings",
        "generation": "generation",
    }


def test_the_strategy_applies_to_every_pool():
    _, config = config_for({"OPENAI_API_KEY": KEY}, "chat-completion", strategy="round-robin")

    assert config.pools["chat-completion"].strategy == "modelmesh.round-robin.v1"


def test_a_predefined_pool_targets_its_node():
    environ = {"OPENAI_API_KEY": KEY}

    config = load_config(
        build_config(pool="text-generation", detected=scan(environ, installed=ALL)),
        environ=environ,
    )

    assert config.pools["text-generation"].capability == "generation.text-generation"


def test_a_predefined_pool_and_capabilities_give_one_pool_each():
    raw = build_config(
        ["chat-completion"],
        pool="text-generation",
        detected=scan({"OPENAI_API_KEY": KEY}, installed=ALL),
    )

    assert list(raw["pools"]) == ["text-generation", "chat-completion"]


def test_an_unknown_predefined_pool_is_refused():
    with pytest.raises(ValueError, match="unknown predefined pool 'chatty'"):
        build_config(pool="chatty", detected=scan({"OPENAI_API_KEY": KEY}, installed=ALL))


def test_nothing_requested_is_a_value_error():
    with pytest.raises(ValueError, match=r"^Specify capabilities, pool, or config"):
        build_config(detected=scan({"OPENAI_API_KEY": KEY}, installed=ALL))


def test_an_unknown_capability_is_refused_with_a_suggestion():
    with pytest.raises(ValueError, match=r"unknown capability 'chat-complet'.*'chat-completion'"):
        build_config(["chat-complet"], detected=scan({"OPENAI_API_KEY": KEY}, installed=ALL))


def test_no_provider_detected_lists_the_variables_to_set():
    with pytest.raises(NoProvidersDetectedError) as caught:
        build_config(["chat-completion"], detected=scan({}, installed=ALL))

    assert isinstance(caught.value, ModelMeshError)
    assert isinstance(caught.value, RuntimeError)
    assert "OPENAI_API_KEY" in str(caught.value)
    assert "OLLAMA_HOST" in str(caught.value)


def test_no_provider_detected_names_the_plugin_that_is_missing():
    detection = scan({"GOOGLE_API_KEY": KEY}, installed=set())

    with pytest.raises(NoProvidersDetectedError, match="pip install modelmesh-plugin-gemini"):
        build_config(["chat-completion"], detected=detection)
    assert KEY not in describe_detection({"GOOGLE_API_KEY": KEY}, installed=set())


def test_a_plain_list_of_detected_providers_is_accepted():
    found = detect({"OPENAI_API_KEY": KEY}, installed=ALL)

    raw = build_config(["chat-completion"], detected=found)

    assert list(raw["providers"]) == ["openai.llm.v1"]


def test_models_restricts_pool_membership():
    environ = {"OPENAI_API_KEY": KEY, "GROQ_API_KEY": KEY}

    _, config = config_for(environ, "chat-completion", models=["openai.gpt-4o-mini"])

    assert list(config.models) == ["openai.gpt-4o-mini"]


def test_a_model_outside_the_defaults_joins_through_its_vendor_prefix():
    environ = {"DEEPSEEK_API_KEY": KEY}

    _, config = config_for(environ, "chat-completion", models=["deepseek.deepseek-chat"])

    model = config.models["deepseek.deepseek-chat"]
    assert model.provider == "deepseek.api.v1"
    assert model.upstream_name == "deepseek-chat"
    assert model.capabilities == (CHAT,)


def test_a_model_of_no_detected_provider_is_refused():
    with pytest.raises(ValueError, match=r"model 'anthropic\.claude-x' is not offered"):
        config_for({"OPENAI_API_KEY": KEY}, "chat-completion", models=["anthropic.claude-x"])


def test_a_pool_no_detected_model_can_serve_is_refused():
    with pytest.raises(ConfigurationError, match=r"pool 'text-embeddings'.*models="):
        config_for({"OPENAI_API_KEY": KEY}, "text-embeddings")


def test_a_custom_dotted_capability_is_accepted_for_named_models():
    _, config = config_for(
        {"OPENAI_API_KEY": KEY}, "generation.custom.mine", models=["openai.my-finetune"]
    )

    assert config.pools["generation.custom.mine"].capability == "generation.custom.mine"
    assert config.models["openai.my-finetune"].capabilities == ("generation.custom.mine",)


def test_building_leaves_the_shared_capability_tree_alone():
    from modelmesh.routing import capabilities

    config_for({"OPENAI_API_KEY": KEY}, "generation.custom.other", models=["openai.x"])

    assert not capabilities.is_known("generation.custom.other")


def test_detection_result_is_accepted_as_is():
    detection = Detection(found=())

    with pytest.raises(NoProvidersDetectedError):
        build_config(["chat-completion"], detected=detection)


key_variables = st.sampled_from([e.env_var for e in KNOWN_PROVIDERS if e.models and not e.host])


@given(st.sets(key_variables, min_size=1), st.text(min_size=1).filter(str.strip))
def test_any_environment_with_a_chat_model_builds_a_loading_configuration(variables, key):
    environ = {name: key for name in variables}

    config = load_config(
        build_config(["chat-completion"], detected=scan(environ, installed=ALL)), environ=environ
    )

    assert {m.provider for m in config.models.values()} == set(config.providers)
    assert all(config.providers[p].api_key == key for p in config.providers)


def test_the_documented_example_is_what_build_config_writes():
    docs = Path(__file__).resolve().parents[2] / "docs" / "capabilities.md"
    last_block = docs.read_text(encoding="utf-8").rsplit("```yaml\n", 1)[1].split("```", 1)[0]
    environ = {"OPENAI_API_KEY": KEY, "OLLAMA_HOST": "localhost:11434"}

    raw = build_config(["chat-completion"], detected=scan(environ, installed=ALL))

    assert raw == yaml.safe_load(last_block)
