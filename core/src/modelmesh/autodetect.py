"""Providers from the environment: which API keys and local servers are there to use.

``create("chat-completion")`` should work with nothing but ``OPENAI_API_KEY`` set. This
module reads the 17 API-key variables and 4 local-server variables ModelMesh knows, keeps
those whose connector is installed (checked from packaging metadata, so no plugin code is
imported), and writes the raw configuration mapping that ``modelmesh.config.load_config``
turns into a mesh. Keys read from the environment stay ``${VAR}`` references in that
mapping, so the loader resolves them and they are never copied into it.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import attrs

from modelmesh.errors import ConfigurationError
from modelmesh.log import get_logger
from modelmesh.redaction import REDACTED
from modelmesh.routing.capabilities import PREDEFINED_POOLS, CapabilityTree, default_tree

__all__ = [
    "KNOWN_PROVIDERS",
    "DefaultModel",
    "DetectedProvider",
    "Detection",
    "KnownProvider",
    "MissingConnector",
    "NoProvidersDetectedError",
    "build_config",
    "describe_detection",
    "detect",
    "scan",
]

_log = get_logger("modelmesh.autodetect")

CHAT = "generation.text-generation.chat-completion"
TEXT_EMBEDDINGS = "representation.embeddings.text-embeddings"


class NoProvidersDetectedError(ConfigurationError, RuntimeError):
    """No usable provider was found: no variable set, or none with an installed connector."""


@attrs.frozen
class DefaultModel:
    """A model a detected provider brings without configuration."""

    id: str
    name: str
    capabilities: tuple[str, ...] = (CHAT,)


@attrs.frozen
class KnownProvider:
    """One variable ModelMesh looks for: an API key, or (``host``) a local server's URL."""

    env_var: str
    connector_id: str
    models: tuple[DefaultModel, ...] = ()
    host: bool = False

    @property
    def vendor(self) -> str:
        """The connector ID's first segment (``openai``), accepted as the provider's name."""
        return self.connector_id.split(".", 1)[0]


def _key(env_var: str, connector_id: str, *models: DefaultModel) -> KnownProvider:
    return KnownProvider(env_var, connector_id, models)


def _host(env_var: str, connector_id: str, *models: DefaultModel) -> KnownProvider:
    return KnownProvider(env_var, connector_id, models, host=True)


KNOWN_PROVIDERS: tuple[KnownProvider, ...] = (
    _key(
        "OPENAI_API_KEY",
        "openai.llm.v1",
        DefaultModel("openai.gpt-4o", "gpt-4o"),
        DefaultModel("openai.gpt-4o-mini", "gpt-4o-mini"),
    ),
    _key(
        "ANTHROPIC_API_KEY",
        "anthropic.claude.v1",
        DefaultModel("claude-sonnet-4-20250514", "claude-sonnet-4-20250514"),
        DefaultModel("claude-haiku-4-5-20251001", "claude-haiku-4-5-20251001"),
    ),
    _key(
        "GOOGLE_API_KEY",
        "google.gemini.v1",
        DefaultModel("gemini-2.0-flash", "gemini-2.0-flash"),
        DefaultModel("gemini-2.0-flash-lite", "gemini-2.0-flash-lite"),
    ),
    _key(
        "GROQ_API_KEY",
        "groq.api.v1",
        DefaultModel("groq.llama-3.3-70b-versatile", "llama-3.3-70b-versatile"),
    ),
    _key(
        "MISTRAL_API_KEY",
        "mistral.api.v1",
        DefaultModel("mistral.mistral-large-latest", "mistral-large-latest"),
        DefaultModel(
            "mistral.mistral-small-latest", "mistral-small-latest", (CHAT, TEXT_EMBEDDINGS)
        ),
    ),
    _key("TOGETHER_API_KEY", "together.api.v1"),
    _key(
        "OPENROUTER_API_KEY",
        "openrouter.gateway.v1",
        DefaultModel("openrouter.auto", "openrouter/auto"),
    ),
    _key("DEEPSEEK_API_KEY", "deepseek.api.v1"),
    _key("XAI_API_KEY", "xai.grok.v1"),
    _key("COHERE_API_KEY", "cohere.nlp.v1"),
    _key("PERPLEXITY_API_KEY", "perplexity.search.v1"),
    _key("ELEVENLABS_API_KEY", "elevenlabs.tts.v1"),
    _key("TAVILY_API_KEY", "tavily.search.v1"),
    _key("SERPER_API_KEY", "serper.search.v1"),
    _key("JINA_API_KEY", "jina.ai.v1"),
    _key("FIRECRAWL_API_KEY", "firecrawl.scrape.v1"),
    _key("ASSEMBLYAI_API_KEY", "assemblyai.stt.v1"),
    _host("OLLAMA_HOST", "ollama.local.v1", DefaultModel("ollama.llama3", "llama3")),
    _host("LMSTUDIO_HOST", "lmstudio.local.v1"),
    _host("VLLM_HOST", "vllm.local.v1"),
    _host("LOCALAI_HOST", "localai.local.v1"),
)
"""Every variable looked for, in the order providers are listed and their models pooled."""


def _hidden(value: str | None) -> str:
    return repr(value) if not value else repr(REDACTED)


@attrs.frozen(kw_only=True)
class DetectedProvider:
    """A provider to configure: where it came from and what to connect with.

    ``source`` is ``"environment"`` (the key stays a ``${VAR}`` reference in the built
    configuration) or ``"api_keys"`` (a key given in code, written into it).
    """

    env_var: str
    connector_id: str
    api_key: str | None = attrs.field(default=None, repr=_hidden)
    base_url: str | None = None
    models: tuple[DefaultModel, ...] = ()
    source: str = "environment"

    @property
    def provider(self) -> str:
        """The provider's key in the configuration: its connector ID."""
        return self.connector_id


@attrs.frozen
class MissingConnector:
    """A variable that is set, but whose connector is not installed."""

    env_var: str
    connector_id: str
    install: str | None  # the pip command, when a first-party distribution provides it


@attrs.frozen
class Detection:
    """What ``scan`` found: usable providers and variables left unused for want of a plugin."""

    found: tuple[DetectedProvider, ...]
    missing: tuple[MissingConnector, ...] = ()

    def describe(self) -> str:
        """A report for people: what was found, what was skipped, what could be set."""
        lines: list[str] = []
        if self.found:
            lines.append("Detected providers:")
            for provider in self.found:
                where = f"base_url {provider.base_url}" if provider.base_url else "api key set"
                if provider.source == "api_keys":
                    where = "api key given in code"
                models = ", ".join(m.id for m in provider.models) or "no default models"
                lines.append(
                    f"  {provider.env_var:<20} {provider.connector_id:<22} {where}; {models}"
                )
        for missing in self.missing:
            lines.append(f"Skipped {missing.env_var}: {_not_installed(missing)}")
        if not self.found:
            lines.append(_what_to_set())
        return "\n".join(lines)


def scan(
    environ: Mapping[str, str] | None = None,
    *,
    providers: Iterable[str] | None = None,
    api_keys: Mapping[str, str] | None = None,
    installed: Collection[str] | None = None,
) -> Detection:
    """Find providers in ``environ`` (default: the process environment).

    ``providers`` keeps only the named ones (connector IDs such as ``openai.llm.v1``,
    vendor names such as ``openai``, or variable names). ``api_keys`` maps those same
    names to keys; when given, only the providers it names are used and the environment
    supplies nothing but a local server's URL. ``installed`` is the set of provider
    connector IDs available (default: those of installed distributions, read from
    their metadata).
    """
    environ = os.environ if environ is None else environ
    wanted = None if providers is None else {_entry(name).connector_id for name in providers}
    if installed is None:
        installed = _installed_providers()
    candidates: list[tuple[KnownProvider, str | None, str]] = []
    if api_keys is not None:
        given: dict[str, str] = {}
        for name, key in api_keys.items():
            entry = _entry(name)
            if not isinstance(key, str) or not key.strip():
                raise ValueError(f"api_keys[{name!r}] is empty; give the provider's API key")
            given[entry.connector_id] = key
        candidates = [
            (entry, given[entry.connector_id], "api_keys")
            for entry in KNOWN_PROVIDERS
            if entry.connector_id in given
        ]
    else:
        for entry in KNOWN_PROVIDERS:
            value = environ.get(entry.env_var, "")
            if value.strip():
                candidates.append((entry, None if entry.host else value, "environment"))
    found: list[DetectedProvider] = []
    missing: list[MissingConnector] = []
    for entry, key, source in candidates:
        if wanted is not None and entry.connector_id not in wanted:
            continue
        if entry.connector_id not in installed:
            missing.append(
                MissingConnector(entry.env_var, entry.connector_id, _install_hint(entry))
            )
            continue
        host = environ.get(entry.env_var, "").strip() if entry.host else ""
        found.append(
            DetectedProvider(
                env_var=entry.env_var,
                connector_id=entry.connector_id,
                api_key=key,
                base_url=_base_url(host) if host else None,
                models=entry.models,
                source=source,
            )
        )
    return Detection(tuple(found), tuple(missing))


def detect(
    environ: Mapping[str, str] | None = None,
    *,
    providers: Iterable[str] | None = None,
    api_keys: Mapping[str, str] | None = None,
    installed: Collection[str] | None = None,
) -> list[DetectedProvider]:
    """The usable providers ``scan`` finds; a variable whose connector is not installed
    is logged (with the package to install) and skipped."""
    detection = scan(environ, providers=providers, api_keys=api_keys, installed=installed)
    for missing in detection.missing:
        _log.warning(
            "provider variable skipped",
            env_var=missing.env_var,
            reason=_not_installed(missing),
        )
    return list(detection.found)


def describe_detection(
    environ: Mapping[str, str] | None = None,
    *,
    providers: Iterable[str] | None = None,
    api_keys: Mapping[str, str] | None = None,
    installed: Collection[str] | None = None,
) -> str:
    """What ``scan`` finds, as text for a command line: never a key's value."""
    return scan(environ, providers=providers, api_keys=api_keys, installed=installed).describe()


def build_config(
    capabilities: Sequence[str] = (),
    *,
    pool: str | None = None,
    detected: Detection | Sequence[DetectedProvider],
    models: Iterable[str] | None = None,
    strategy: str = "stick-until-failure",
    capability_tree: CapabilityTree | None = None,
) -> dict[str, Any]:
    """A raw configuration for ``load_config`` from detected providers.

    One pool per capability, named by the string given and targeting its canonical path
    (aliases resolved), plus the predefined ``pool`` if named; every detected provider,
    keyed by its connector ID; their default models, or only ``models`` when given (a
    model ID that is not a default joins through its vendor prefix, ``deepseek.x`` ->
    the detected DeepSeek provider, with the requested capabilities). Observability and
    storage are left out, so the null sink and in-memory state apply. Load the result
    with the same ``environ`` that was scanned: keys are ``${VAR}`` references to it.
    """
    if isinstance(capabilities, str):
        capabilities = (capabilities,)
    if not capabilities and pool is None:
        raise ValueError(
            "Specify capabilities, pool, or config: for example create('chat-completion'), "
            f"create(pool='text-generation') (predefined pools: {', '.join(PREDEFINED_POOLS)}) "
            "or create(config='modelmesh.yaml')"
        )
    tree = (capability_tree or default_tree()).copy()
    pools = _pools(capabilities, pool, tree, strategy)
    detection = detected if isinstance(detected, Detection) else Detection(tuple(detected))
    if not detection.found:
        raise NoProvidersDetectedError(_no_providers_message(detection))
    providers: dict[str, dict[str, Any]] = {}
    for found in detection.found:
        section: dict[str, Any] = {"connector": found.connector_id}
        if found.api_key is not None:
            section["api_key"] = (
                _literal(found.api_key) if found.source == "api_keys" else f"${{{found.env_var}}}"
            )
        if found.base_url is not None:
            section["base_url"] = found.base_url
        providers[found.provider] = section
    declared = _models(detection.found, models, [p["capability"] for p in pools.values()])
    for name, settings in pools.items():
        if not any(
            tree.matches(settings["capability"], m["capabilities"]) for m in declared.values()
        ):
            raise ConfigurationError(_empty_pool_message(name, settings["capability"], detection))
    return {"providers": providers, "models": declared, "pools": pools}


def _pools(
    capabilities: Sequence[str], pool: str | None, tree: CapabilityTree, strategy: str
) -> dict[str, dict[str, Any]]:
    pools: dict[str, dict[str, Any]] = {}
    if pool is not None:
        if pool not in PREDEFINED_POOLS:
            raise ValueError(
                f"unknown predefined pool {pool!r}; use one of {', '.join(PREDEFINED_POOLS)}, "
                "or name capabilities instead"
            )
        pools[pool] = {"capability": PREDEFINED_POOLS[pool], "strategy": strategy}
    for name in capabilities:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a capability is a non-empty name or path, got {name!r}")
        path = tree.canonical(name)
        if "." in path:
            tree.register(path)
        elif not tree.is_known(path):
            near = tree.suggest(name)
            hint = f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
            raise ValueError(
                f"unknown capability {name!r}{hint} (see modelmesh.routing.capabilities."
                "list_all() for every path, or give a dotted path of your own)"
            )
        pools.setdefault(name, {"capability": path, "strategy": strategy})
    return pools


def _models(
    found: Sequence[DetectedProvider], wanted: Iterable[str] | None, paths: list[str]
) -> dict[str, dict[str, Any]]:
    """The ``models:`` section: every default model, or just the wanted ones."""
    defaults = {model.id: (provider, model) for provider in found for model in provider.models}
    if wanted is None:
        chosen = list(defaults)
    elif isinstance(wanted, str):
        chosen = [wanted]
    else:
        chosen = list(dict.fromkeys(wanted))
    declared: dict[str, dict[str, Any]] = {}
    by_vendor = {provider.connector_id.split(".", 1)[0]: provider for provider in found}
    for model_id in chosen:
        if model_id in defaults:
            provider, model = defaults[model_id]
            declared[model_id] = {
                "provider": provider.provider,
                "name": model.name,
                "capabilities": list(model.capabilities),
            }
            continue
        vendor, dot, _ = model_id.partition(".")
        if not dot or vendor not in by_vendor:
            raise ValueError(
                f"model {model_id!r} is not offered by a detected provider; name a default "
                f"model ({', '.join(defaults) or 'none detected'}) or a model ID that starts "
                f"with a detected vendor ({', '.join(by_vendor)}), such as "
                f"'{next(iter(by_vendor))}.<model-name>'"
            )
        declared[model_id] = {
            "provider": by_vendor[vendor].provider,
            "capabilities": list(dict.fromkeys(paths)),
        }
    return declared


def _entry(name: str) -> KnownProvider:
    """The known provider a name stands for: connector ID, vendor or variable name."""
    if isinstance(name, str):
        for entry in KNOWN_PROVIDERS:
            if name == entry.env_var or name.lower() in (entry.connector_id, entry.vendor):
                return entry
    raise ValueError(
        f"unknown provider {name!r}; use a vendor name ("
        + ", ".join(entry.vendor for entry in KNOWN_PROVIDERS)
        + "), a connector ID such as 'openai.llm.v1', or a variable such as 'OPENAI_API_KEY'"
    )


def _installed_providers() -> set[str]:
    from modelmesh.entry_points import installed_index
    from modelmesh.interfaces.connector import ConnectorType

    return {
        connector.id
        for connector in installed_index().connectors
        if connector.connector_type is ConnectorType.PROVIDER
    }


def _install_hint(entry: KnownProvider) -> str | None:
    from modelmesh.install_hints import install_hint

    return install_hint("provider", entry.connector_id)


def _not_installed(missing: MissingConnector) -> str:
    fix = missing.install or "install a plugin that provides it"
    return f"no installed connector {missing.connector_id} ({fix})"


def _base_url(value: str) -> str:
    """A host variable as a base URL: ``localhost:11434`` gets ``http://`` in front."""
    url = value if "://" in value else f"http://{value}"
    return url.rstrip("/")


def _literal(value: str) -> str:
    """A key given in code, escaped so the loader does not read ``${`` in it as a reference."""
    return value.replace("${", "$${")


def _what_to_set() -> str:
    keys = [entry.env_var for entry in KNOWN_PROVIDERS if not entry.host]
    hosts = [entry.env_var for entry in KNOWN_PROVIDERS if entry.host]
    return (
        "Set an API key variable ("
        + ", ".join(keys)
        + ") or a local server variable ("
        + ", ".join(hosts)
        + ", its value the server's URL such as http://localhost:11434), "
        "pass api_keys={'openai': '...'}, or give a configuration with config=."
    )


def _no_providers_message(detection: Detection) -> str:
    lines = ["No provider detected."]
    lines.extend(
        f"{missing.env_var} is set, but there is {_not_installed(missing)}."
        for missing in detection.missing
    )
    lines.append(_what_to_set())
    return " ".join(lines)


def _empty_pool_message(name: str, path: str, detection: Detection) -> str:
    offered = ", ".join(
        f"{provider.connector_id} ({', '.join(m.id for m in provider.models) or 'no models'})"
        for provider in detection.found
    )
    return (
        f"pool {name!r} ({path}) has no model: none of the detected providers' models has "
        f"that capability. Detected: {offered}. Pass models=[...] with model IDs such as "
        f"'<vendor>.<model-name>' of a detected provider, set the variable of a provider that "
        f"offers it, or give a configuration with config=."
    )
