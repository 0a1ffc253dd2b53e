"""Which distribution to install for a first-party connector ID.

An unknown connector ID is usually a plugin that is not installed; saying the exact
``pip install`` command turns a dead end into a one-line fix (pydantic-ai does the same
for its optional providers).
"""

from __future__ import annotations

from modelmesh.connector_ids import STRATEGY_SHORT_NAMES, strategy_connector_id
from modelmesh.interfaces.connector import ConnectorType

_OPENAI_COMPATIBLE = (
    "openai.llm.v1",
    "deepseek.api.v1",
    "groq.api.v1",
    "mistral.api.v1",
    "together.api.v1",
    "openrouter.gateway.v1",
    "xai.grok.v1",
    "perplexity.search.v1",
    "ollama.local.v1",
    "lmstudio.local.v1",
    "vllm.local.v1",
    "localai.local.v1",
)

INSTALL_HINTS: dict[tuple[ConnectorType, str], str] = {
    **{(ConnectorType.PROVIDER, cid): "modelmesh-plugin-openai" for cid in _OPENAI_COMPATIBLE},
    (ConnectorType.PROVIDER, "anthropic.claude.v1"): "modelmesh-plugin-anthropic",
    (ConnectorType.PROVIDER, "google.gemini.v1"): "modelmesh-plugin-gemini",
    (ConnectorType.STORAGE, "modelmesh.memory.v1"): "modelmesh-plugin-memory-storage",
    (ConnectorType.STORAGE, "modelmesh.local-file.v1"): "modelmesh-plugin-file-storage",
    (ConnectorType.STORAGE, "modelmesh.sqlite.v1"): "modelmesh-plugin-sqlite",
    (ConnectorType.STORAGE, "redis.redis.v1"): "modelmesh-plugin-redis",
    (ConnectorType.SECRET_STORE, "modelmesh.env.v1"): "modelmesh-plugin-env-secrets",
    (ConnectorType.SECRET_STORE, "modelmesh.dotenv.v1"): "modelmesh-plugin-dotenv",
    (ConnectorType.SECRET_STORE, "modelmesh.json-secrets.v1"): "modelmesh-plugin-json-secrets",
    (ConnectorType.SECRET_STORE, "modelmesh.memory-secrets.v1"): "modelmesh-plugin-memory-secrets",
    (ConnectorType.SECRET_STORE, "modelmesh.encrypted-file.v1"): "modelmesh-plugin-encrypted-file",
    (ConnectorType.SECRET_STORE, "modelmesh.keyring.v1"): "modelmesh-plugin-keyring",
    (ConnectorType.SECRET_STORE, "aws.secrets-manager.v1"): "modelmesh-plugin-aws-secrets",
    **{
        (ConnectorType.ROTATION, strategy_connector_id(name)): f"modelmesh-plugin-{name}"
        for name in STRATEGY_SHORT_NAMES
    },
    (ConnectorType.OBSERVABILITY, "modelmesh.null.v1"): "modelmesh-plugin-null-sink",
    (ConnectorType.OBSERVABILITY, "modelmesh.console.v1"): "modelmesh-plugin-console",
    (ConnectorType.OBSERVABILITY, "modelmesh.file.v1"): "modelmesh-plugin-file-log",
    (ConnectorType.OBSERVABILITY, "modelmesh.json-log.v1"): "modelmesh-plugin-json-log",
    (ConnectorType.OBSERVABILITY, "modelmesh.webhook.v1"): "modelmesh-plugin-webhook",
    (ConnectorType.OBSERVABILITY, "modelmesh.callback.v1"): "modelmesh-plugin-callback",
    (ConnectorType.OBSERVABILITY, "modelmesh.prometheus.v1"): "modelmesh-plugin-prometheus",
    (ConnectorType.DISCOVERY, "modelmesh.registry-sync.v1"): "modelmesh-plugin-registry-sync",
    (ConnectorType.DISCOVERY, "modelmesh.health-monitor.v1"): "modelmesh-plugin-health-monitor",
}


def install_hint(connector_type: ConnectorType | str | None, connector_id: str) -> str | None:
    """The ``pip install`` command that provides a first-party connector, if we know one.

    Without a type, the first type that knows the ID answers (first-party IDs are unique
    across types).
    """
    kinds = [ConnectorType.parse(connector_type)] if connector_type else list(ConnectorType)
    for kind in kinds:
        distribution = INSTALL_HINTS.get((kind, connector_id))
        if distribution is not None:
            return f"pip install {distribution}"
    return None
