"""The examples in docs/configuration.md load: documentation that stays true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from modelmesh.config import load_config

from .conftest import FakeRegistry

DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"
YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def _blocks() -> list[str]:
    return YAML_BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_the_complete_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "modelmesh.yaml"
    path.write_text(_blocks()[0], encoding="utf-8")
    registry = FakeRegistry({"OPENAI_API_KEY": "sk-1", "PROXY_TOKEN": "t-1"})
    config = load_config(path, registry=registry, environ={})
    assert config.proxy.port == 8080
    assert config.pools["chat"].retry.initial_delay == 0.5
    assert config.models["ollama.llama3"].upstream_name == "llama3"


@pytest.mark.parametrize("block", _blocks()[1:])
def test_every_snippet_is_valid_yaml(block: str) -> None:
    for document in block.split("\n\n"):
        yaml.safe_load(document)
