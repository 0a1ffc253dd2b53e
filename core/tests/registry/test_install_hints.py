"""Install hints for first-party connectors."""

from __future__ import annotations

import pytest

from modelmesh.install_hints import INSTALL_HINTS, install_hint
from modelmesh.interfaces.connector import ConnectorType


@pytest.mark.parametrize(
    ("kind", "connector_id", "distribution"),
    [
        ("provider", "groq.api.v1", "modelmesh-plugin-openai"),
        ("provider", "google.gemini.v1", "modelmesh-plugin-gemini"),
        ("storage", "redis.redis.v1", "modelmesh-plugin-redis"),
        ("secret_store", "aws.secrets-manager.v1", "modelmesh-plugin-aws-secrets"),
        ("rotation", "modelmesh.round-robin.v1", "modelmesh-plugin-round-robin"),
        ("observability", "modelmesh.file.v1", "modelmesh-plugin-file-log"),
        ("discovery", "modelmesh.health-monitor.v1", "modelmesh-plugin-health-monitor"),
    ],
)
def test_first_party_connector_hint_is_the_pip_command(kind, connector_id, distribution):
    assert install_hint(kind, connector_id) == f"pip install {distribution}"


def test_hint_is_keyed_by_type():
    assert install_hint(ConnectorType.STORAGE, "modelmesh.file.v1") is None


def test_hint_without_a_type_searches_every_type():
    assert install_hint(None, "modelmesh.sqlite.v1") == "pip install modelmesh-plugin-sqlite"


def test_unknown_connector_has_no_hint():
    assert install_hint("provider", "acme.llm.v1") is None


def test_table_covers_every_first_party_connector():
    counts = {kind: 0 for kind in ConnectorType}
    for kind, _ in INSTALL_HINTS:
        counts[kind] += 1

    assert counts == {
        ConnectorType.PROVIDER: 14,
        ConnectorType.STORAGE: 4,
        ConnectorType.SECRET_STORE: 7,
        ConnectorType.ROTATION: 8,
        ConnectorType.OBSERVABILITY: 7,
        ConnectorType.DISCOVERY: 2,
    }
