"""Fixtures for the configuration tests: a fake secret-store registry and YAML files."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelmesh.errors import ConnectorNotFoundError


class FakeStore:
    """A secret store holding a fixed mapping; ``reads`` records every lookup."""

    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = secrets
        self.reads: list[str] = []

    def get(self, name: str) -> str:
        self.reads.append(name)
        return self.secrets[name]


class FakeRegistry:
    """Stands in for ConnectorRegistry.create: only the secret stores it knows."""

    def __init__(self, secrets: dict[str, str] | None = None) -> None:
        self.store = FakeStore(dict(secrets or {}))
        self.installed = {"modelmesh.env.v1", "modelmesh.dotenv.v1", "modelmesh.encrypted-file.v1"}
        self.created: list[tuple[str, dict[str, Any], Any]] = []

    def create(self, connector_id: str, options: dict[str, Any], *, connector_type: Any) -> Any:
        if connector_id not in self.installed:
            raise ConnectorNotFoundError(
                connector_id,
                f"no secret_store connector {connector_id!r} is installed; "
                "install it with: uv add modelmesh-plugin-vault",
            )
        self.created.append((connector_id, options, connector_type))
        return self.store


@pytest.fixture
def secret_registry() -> FakeRegistry:
    return FakeRegistry({"OPENAI_KEY": "sk-live-123456", "PROXY_TOKEN": "tok-987"})


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write dedented YAML text to a file in tmp_path and return its path."""

    def write(text: str, name: str = "modelmesh.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def config_issues() -> Callable[..., dict[str, Any]]:
    """Load a config that must fail; return its issues keyed by dotted path."""
    from modelmesh.config import ConfigError, load_config

    def collect(source: Any, **kwargs: Any) -> dict[str, Any]:
        with pytest.raises(ConfigError) as raised:
            load_config(source, **kwargs)
        return {issue.path: issue for issue in raised.value.issues}

    return collect
