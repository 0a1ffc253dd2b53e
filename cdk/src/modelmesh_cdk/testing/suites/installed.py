"""The standard tests an installed connector distribution passes.

ModelMesh must find the distribution from its metadata alone, load the connector
class by its ID, and build it from a YAML configuration that names it, with the
options start-up hands it (``connector_references`` computes them, as the mesh
does). They need the distribution installed: its entry point is what ModelMesh reads.
"""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path
from typing import Any

import pytest

from modelmesh.config import load_config
from modelmesh.config.connectors import ConnectorReference, connector_references
from modelmesh.registry import ConnectorRegistry
from modelmesh_cdk.testing.suites.guard import StandardSuite

INSTALL_FIRST = 'install the distribution first: pip install -e ".[test]"'


class InstalledConnectorTests(StandardSuite, standard=True):
    """Subclass with ``connector_id``, ``connector_class``, ``distribution`` and
    ``config`` (the README's snippet that names the connector)."""

    # What the author declares

    connector_id: str
    connector_class: type
    distribution: str
    config: str

    def prepare(self, workdir: Path) -> None:
        """Write the files the snippet's connector reads (the working directory is
        ``workdir`` while it is built); none by default."""

    def check_built(self, connector: Any) -> None:
        """Further checks on the connector built from the snippet; none by default."""

    # Helpers

    def reference(self, workdir: Path) -> ConnectorReference:
        """The snippet's one reference to ``connector_id``, loaded as start-up loads it."""
        path = workdir / "modelmesh.yaml"
        path.write_text(self.config, encoding="utf-8")
        config = load_config(path, resolve_secrets=False)
        found = [r for r in connector_references(config) if r.connector_id == self.connector_id]
        assert len(found) == 1, f"config must name {self.connector_id} exactly once"
        return found[0]

    # Standard tests

    def test_listed_with_its_distribution(self, tmp_path: Path) -> None:
        kind = self.reference(tmp_path).connector_type
        listed = {info.id: info for info in ConnectorRegistry().list_connectors(kind)}
        assert self.connector_id in listed, INSTALL_FIRST
        assert listed[self.connector_id].distribution == self.distribution
        assert listed[self.connector_id].source == "entry-point"

    def test_loaded_by_its_id(self, tmp_path: Path) -> None:
        kind = self.reference(tmp_path).connector_type
        found = ConnectorRegistry().get_connector(self.connector_id, connector_type=kind)
        assert found is self.connector_class

    def test_built_from_the_yaml_configuration_that_names_it(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        reference = self.reference(tmp_path)
        monkeypatch.chdir(tmp_path)  # relative paths in the snippet land here
        self.prepare(tmp_path)

        async def build() -> None:
            connector = ConnectorRegistry().create(
                reference.connector_id, reference.options, connector_type=reference.connector_type
            )
            try:
                assert isinstance(connector, self.connector_class)
                self.check_built(connector)
            finally:
                closed = getattr(connector, "close", lambda: None)()
                if inspect.isawaitable(closed):
                    await closed

        asyncio.run(build())
