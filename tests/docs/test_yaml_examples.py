"""Every YAML example in the README and docs/ is a configuration that loads as shown."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from modelmesh.config import load_config

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)


class AnyVariable(Mapping[str, str]):
    """An environment in which every ``${VAR}`` an example uses is set."""

    def __getitem__(self, name: str) -> str:
        return "8080" if name.endswith("PORT") else f"example-{name.lower()}"

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def examples() -> Iterator[object]:
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            yield pytest.param(match.group(1), id=f"{path.relative_to(ROOT)}:{line}")


@pytest.mark.parametrize("block", list(examples()))
def test_yaml_example_loads(block, tmp_path):
    path = tmp_path / "modelmesh.yaml"
    path.write_text(block, encoding="utf-8")

    load_config(path, environ=AnyVariable(), resolve_secrets=False)
