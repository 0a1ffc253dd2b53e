"""The connector template renders a working plugin distribution for every connector type.

For each type, ``modelmesh new-connector --no-input`` renders a project; the project is
built into a wheel and installed, with the core and CDK wheels, into a fresh virtual
environment, where its own tests pass, ``modelmesh plugins list`` shows it and a
configuration that names it loads its connector class. Everything runs offline.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

import pytest

from ..conftest import Venv
from .conftest import CONNECTOR_TYPES, Sample

ROOT = Path(__file__).resolve().parents[2]

# Where a configuration names a connector of each type (the YAML, and the path
# connector_references reports). Only the sample connector has to load: the other
# connectors the files name are never looked up.
CONFIGURATIONS = {
    "provider": (
        """
        providers:
          sample:
            connector: {id}
            base_url: http://127.0.0.1:1
            api_key: sk-template-test
        """,
        ["providers", "sample", "connector"],
    ),
    "rotation": (
        """
        providers:
          upstream:
            connector: openai.llm.v1
            base_url: http://127.0.0.1:1
        models:
          upstream.chat-model:
            provider: upstream
            capabilities: [generation.text-generation.chat-completion]
        pools:
          chat:
            models: [upstream.chat-model]
            strategy: {id}
        """,
        ["pools", "chat", "strategy"],
    ),
    "secret_store": (
        # The store counts only when some value refers to a secret.
        """
        secrets:
          store: {id}
        providers:
          upstream:
            connector: openai.llm.v1
            base_url: http://127.0.0.1:1
            api_key: ${{secrets:UPSTREAM_KEY}}
        """,
        ["secrets", "store"],
    ),
    "storage": (
        """
        storage:
          connector: {id}
        """,
        ["storage", "connector"],
    ),
    "observability": (
        """
        observability:
          sinks:
            - connector: {id}
        """,
        ["observability", "sinks", 0, "connector"],
    ),
    "discovery": (
        """
        discovery:
          connectors:
            - connector: {id}
        """,
        ["discovery", "connectors", 0, "connector"],
    ),
}

# Loads a configuration as start-up does, then looks up only the connectors with the
# given ID, and says which class came back and which interface it implements.
PROBE = """
import importlib, json, sys
from modelmesh.config import load_config
from modelmesh.config.connectors import build_registry, connector_references

INTERFACES = {
    "provider": ("modelmesh.interfaces.provider", "ProviderConnector"),
    "rotation": ("modelmesh.interfaces.rotation", "RotationPolicy"),
    "secret_store": ("modelmesh.interfaces.secret_store", "SecretStore"),
    "storage": ("modelmesh.interfaces.storage", "StorageConnector"),
    "observability": ("modelmesh.interfaces.observability", "ObservabilityConnector"),
    "discovery": ("modelmesh.interfaces.discovery", "DiscoveryConnector"),
}
path, wanted = sys.argv[1:]
config = load_config(path, resolve_secrets=False)
registry = build_registry(config)
found = []
for reference in connector_references(config):
    if reference.connector_id != wanted:
        continue
    kind = reference.connector_type.value
    cls = registry.get_connector(reference.connector_id, connector_type=kind)
    module, name = INTERFACES[kind]
    interface = getattr(importlib.import_module(module), name)
    found.append({
        "type": kind,
        "path": list(reference.path),
        "module": cls.__module__,
        "implements": isinstance(cls, type) and issubclass(cls, interface),
    })
print(json.dumps(found))
"""

EXPECTED_FILES = {
    "pyproject.toml",
    "README.md",
    "src/{package}/__init__.py",
    "src/{package}/connector.py",
    "src/{package}/plugin.py",
    "src/{package}/py.typed",
    "tests/conftest.py",
    "tests/test_conformance.py",
    "tests/test_discovery.py",
}


def files_under(directory: Path) -> set[str]:
    """Every file below ``directory``, as a relative POSIX path."""
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if not p.is_dir()}


def entries_under(directory: Path) -> set[str]:
    """Every file and directory below ``directory``, as a relative POSIX path."""
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*")}


class Installed(NamedTuple):
    venv: Venv
    source: Path


@pytest.fixture(scope="module", params=CONNECTOR_TYPES)
def sample(request) -> Sample:
    return Sample(request.param)


@pytest.fixture(scope="module")
def project(sample, rendering) -> Path:
    """The project as rendered; the other steps work on copies and leave it pristine."""
    return rendering(sample)


@pytest.fixture(scope="module")
def installed(sample, project, tmp_path_factory, uv, run, wheelhouse, fresh_venv) -> Installed:
    """A fresh environment with the core, the CDK (testing extra) and the rendered
    project (test extra), all as wheels; and a copy of the project to run tests in."""
    work = tmp_path_factory.mktemp(f"installed-{sample.slug}")
    source = work / sample.distribution
    shutil.copytree(project, source)
    run(uv, "build", "--offline", "--wheel", "--out-dir", work / "wheels", source)
    (wheel,) = (work / "wheels").glob("*.whl")
    venv = fresh_venv(
        work / "venv",
        wheelhouse.core,
        wheelhouse.requirement(wheelhouse.cdk, "testing"),
        wheelhouse.requirement(wheel, "test"),
    )
    return Installed(venv, source)


def test_renders_exactly_the_template_files(sample, project):
    expected = {path.format(package=sample.package) for path in EXPECTED_FILES}

    assert files_under(project) == expected


def test_generated_code_passes_the_projects_lint_and_format_rules(project, run):
    """A plugin rendered into plugins/ must pass the same ruff rules as the repository."""
    ruff = [sys.executable, "-m", "ruff"]
    config = ("--config", ROOT / "pyproject.toml", "--no-cache")
    run(*ruff, "check", *config, project)
    run(*ruff, "format", "--check", *config, project)


def test_generated_tests_pass_in_a_fresh_environment(installed, run):
    run(installed.venv.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=installed.source)


def test_installed_connector_is_listed_with_its_type_and_distribution(sample, installed, run):
    records = json.loads(run(installed.venv.script("modelmesh"), "plugins", "list", "--json"))

    assert [(r["type"], r["distribution"]) for r in records if r["id"] == sample.connector_id] == [
        (sample.connector_type, sample.distribution)
    ]


def test_configuration_naming_the_connector_loads_the_generated_class(
    sample, installed, tmp_path, run
):
    text, path = CONFIGURATIONS[sample.connector_type]
    config = tmp_path / "modelmesh.yaml"
    config.write_text(textwrap.dedent(text).format(id=sample.connector_id))

    found = json.loads(run(installed.venv.python, "-c", PROBE, config, sample.connector_id))

    assert found == [
        {
            "type": sample.connector_type,
            "path": path,
            "module": f"{sample.package}.connector",
            "implements": True,
        }
    ]


def test_an_invalid_connector_id_is_refused_and_nothing_is_written(tmp_path, new_connector):
    output = tmp_path / "out"
    output.mkdir()
    arguments = Sample("provider").arguments()
    arguments[arguments.index("--id") + 1] = "Sample.Provider"

    refused = new_connector(output, *arguments, expect=1)

    assert "Sample.Provider" in refused.stdout + refused.stderr
    assert entries_under(tmp_path) == {"out"}


def test_an_invalid_plugin_name_is_refused_and_nothing_is_written(tmp_path, new_connector):
    output = tmp_path / "out"
    output.mkdir()
    arguments = Sample("provider").arguments()
    arguments[arguments.index("--name") + 1] = "../Sample Plugin"

    refused = new_connector(output, *arguments, expect=1)

    assert "../Sample Plugin" in refused.stdout + refused.stderr
    assert entries_under(tmp_path) == {"out"}


def test_rendering_into_an_existing_project_directory_is_refused(tmp_path, new_connector):
    sample = Sample("provider")
    existing = tmp_path / sample.distribution
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")

    new_connector(tmp_path, *sample.arguments(), expect=1)

    assert entries_under(tmp_path) == {sample.distribution, f"{sample.distribution}/keep.txt"}
    assert (existing / "keep.txt").read_text() == "mine"
