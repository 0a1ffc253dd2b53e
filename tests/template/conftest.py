"""Rendering the connector template with the real ``modelmesh new-connector`` command.

The command is the dev environment's console script, the sibling of the interpreter
running the tests, so the tests exercise what a connector author types.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

CONNECTOR_TYPES = ("provider", "rotation", "secret_store", "storage", "observability", "discovery")

NewConnector = Callable[..., "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class Sample:
    """The answers given to the template for one connector type."""

    connector_type: str
    prefix: str = "sample"

    @property
    def slug(self) -> str:
        return self.connector_type.replace("_", "-")

    @property
    def name(self) -> str:
        return f"{self.prefix}-{self.slug}"

    @property
    def connector_id(self) -> str:
        return f"{self.prefix}.{self.slug}.v1"

    @property
    def distribution(self) -> str:
        return f"modelmesh-plugin-{self.name}"

    @property
    def package(self) -> str:
        return self.distribution.replace("-", "_")

    def arguments(self) -> list[str]:
        """The command-line answers, without ``--output-dir``."""
        return [
            "--name",
            self.name,
            "--type",
            self.connector_type,
            "--id",
            self.connector_id,
            "--description",
            f"A {self.slug} connector rendered by the template tests",
            "--author",
            "Template Tests",
        ]


@pytest.fixture(scope="session")
def modelmesh_command() -> Path:
    """The dev environment's ``modelmesh`` console script."""
    script = Path(sys.executable).with_name("modelmesh")
    assert script.exists(), f"no modelmesh script next to {sys.executable}: run `uv sync`"
    return script


@pytest.fixture(scope="session")
def new_connector(modelmesh_command, run_command) -> NewConnector:
    """``new_connector(output_dir, *arguments, expect=0) -> CompletedProcess``: runs
    ``modelmesh new-connector --no-input *arguments --output-dir output_dir``."""

    def render(output_dir: Path, *arguments: str, expect: int = 0):
        return run_command(
            modelmesh_command,
            "new-connector",
            "--no-input",
            *arguments,
            "--output-dir",
            output_dir,
            expect=expect,
        )

    return render


@pytest.fixture(scope="session")
def render_sample(new_connector, tmp_path_factory) -> Callable[[Sample], Path]:
    """``render_sample(sample) -> project directory``, freshly rendered each call."""

    def render(sample: Sample) -> Path:
        output = tmp_path_factory.mktemp(f"render-{sample.name}")
        new_connector(output, *sample.arguments())
        return output / sample.distribution

    return render


@pytest.fixture(scope="session")
def rendering(render_sample) -> Callable[[Sample], Path]:
    """``rendering(sample) -> project directory``, rendered once per session and shared:
    copy it before changing anything in it."""
    rendered: dict[Sample, Path] = {}

    def get(sample: Sample) -> Path:
        if sample not in rendered:
            rendered[sample] = render_sample(sample)
        return rendered[sample]

    return get
