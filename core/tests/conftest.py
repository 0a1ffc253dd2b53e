"""Shared fixtures for the core tests: synthetic installed distributions and packages.

Every test gets its own module and connector-ID prefix, so tests never share plugin
modules through ``sys.modules`` and never collide with plugins really installed in
the environment.
"""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelmesh import entry_points
from modelmesh.plugin_filter import PluginFilter
from modelmesh.registry import ConnectorRegistry

PROVIDER_MODULE = """
import modelmesh

CALLS = []


class Provider:
    \"\"\"A provider built from its options.\"\"\"

    def __init__(self, options):
        self.options = options


@modelmesh.hookimpl
def modelmesh_register_providers(register):
    CALLS.append("providers")
    for connector_id in {ids!r}:
        register(connector_id, Provider)
"""


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own MODELMESH_* settings must not change test outcomes."""
    for name in ("MODELMESH_LOAD_PLUGINS", "MODELMESH_TRACE_HOOKS", "MODELMESH_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def prefix() -> Iterator[str]:
    """A unique lowercase token for module names and connector vendors of one test."""
    token = f"t{uuid.uuid4().hex[:10]}"
    yield token
    for name in [m for m in sys.modules if m.startswith(f"mm_{token}")]:
        del sys.modules[name]


@pytest.fixture
def registry() -> ConnectorRegistry:
    """A registry that sees no installed plugin: only what the test registers."""
    return ConnectorRegistry(plugin_filter=PluginFilter(), load_entry_points=False)


class Site:
    """A site-packages-like folder of synthetic installed distributions."""

    def __init__(self, root: Path, prefix: str) -> None:
        self.root = root
        self.prefix = prefix

    def module_name(self, name: str) -> str:
        return f"mm_{self.prefix}_{name}"

    def connector_id(self, name: str) -> str:
        return f"{self.prefix}.{name}.v1"

    def write_module(self, name: str, source: str) -> str:
        """Write ``mm_<prefix>_<name>.py`` and return its module name."""
        module = self.module_name(name)
        (self.root / f"{module}.py").write_text(textwrap.dedent(source))
        return module

    def provider_module(self, name: str, ids: list[str]) -> str:
        return self.write_module(name, PROVIDER_MODULE.format(ids=ids))

    def add_distribution(
        self,
        name: str,
        entry_points: dict[str, dict[str, str]],
        *,
        version: str = "1.0",
        summary: str = "A synthetic plugin",
        root: Path | None = None,
    ) -> None:
        """Write ``<name>-<version>.dist-info`` with METADATA and entry_points.txt."""
        folder = (root or self.root) / f"{name.replace('-', '_')}-{version}.dist-info"
        folder.mkdir(parents=True)
        (folder / "METADATA").write_text(
            f"Metadata-Version: 2.3\nName: {name}\nVersion: {version}\nSummary: {summary}\n\n"
            + "A long description that listing never needs to parse.\n" * 50
        )
        lines = []
        for group, names in entry_points.items():
            lines.append(f"[{group}]")
            lines.extend(f"{ep_name} = {value}" for ep_name, value in names.items())
        (folder / "entry_points.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture
def site(tmp_path: Path, prefix: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Synthetic distributions on ``sys.path`` for this test, with a fresh snapshot."""
    root = tmp_path / "site-packages"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    entry_points.clear_cache()
    yield Site(root, prefix)
    entry_points.clear_cache()


class PackageFiles:
    """The files of a connector package whose code leaves a marker file when it runs."""

    def __init__(self, prefix: str, marker: Path, name: str, ids: list[str]) -> None:
        self.marker = marker
        self.module = f"mm_{prefix}_{name}"
        self.ids = ids
        self.files: dict[str, str] = {
            "modelmesh-package.toml": self.manifest(ids),
            f"{self.module}/__init__.py": (
                f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"
            ),
            f"{self.module}/helpers.py": "GREETING = 'hello'\n",
            f"{self.module}/provider.py": textwrap.dedent(
                f"""
                import modelmesh

                from .helpers import GREETING


                class Provider:
                    greeting = GREETING

                    def __init__(self, options):
                        self.options = options


                @modelmesh.hookimpl
                def modelmesh_register_providers(register):
                    for connector_id in {ids!r}:
                        register(connector_id, Provider)
                """
            ),
        }

    def manifest(self, ids: list[str]) -> str:
        module = f"{self.module}.provider"
        connectors = "".join(
            f'\n[[connectors]]\nid = "{cid}"\ntype = "provider"\nmodule = "{module}"\n'
            for cid in ids
        )
        return (
            '[package]\nname = "acme-connectors"\nversion = "1.2.3"\n'
            f'description = "Connectors of Acme"\n{connectors}'
        )

    def write_directory(self, root: Path) -> Path:
        for name, text in self.files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return root


@pytest.fixture
def package_files(prefix: str, tmp_path: Path):
    """Build PackageFiles for this test: ``package_files(name="pkg", ids=None)``."""

    def build(name: str = "pkg", ids: list[str] | None = None) -> PackageFiles:
        return PackageFiles(prefix, tmp_path / f"{name}-ran", name, ids or [f"{prefix}.{name}.v1"])

    return build


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    """An empty package cache directory."""
    path = tmp_path / "cache"
    path.mkdir()
    return path


@pytest.fixture
def package_registry(cache_dir: Path) -> ConnectorRegistry:
    return ConnectorRegistry(
        plugin_filter=PluginFilter(), load_entry_points=False, package_cache_dir=cache_dir
    )
