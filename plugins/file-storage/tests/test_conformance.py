"""LocalFileStorage passes the standard storage tests in every format, compressed or
not, and with backups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelmesh.clock import ManualClock
from modelmesh_cdk.testing.suites import StorageTests
from modelmesh_plugin_file_storage.connector import LocalFileStorage


class TestLocalFileStorage(StorageTests):
    connector_class = LocalFileStorage

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        return {"path": str(workdir / "state")}

    @property
    def clock(self) -> ManualClock:
        # Lets the suite expire locks without waiting.
        return ManualClock()


class TestLocalFileStorageInYaml(TestLocalFileStorage):
    def connector_options(self, workdir: Path) -> dict[str, Any]:
        return {"path": str(workdir / "state"), "format": "yaml"}


class TestLocalFileStorageInCompressedMsgpack(TestLocalFileStorage):
    def connector_options(self, workdir: Path) -> dict[str, Any]:
        return {"path": str(workdir / "state"), "format": "msgpack", "compression": True}


class TestLocalFileStorageWithBackups(TestLocalFileStorage):
    def connector_options(self, workdir: Path) -> dict[str, Any]:
        return {"path": str(workdir / "state"), "backup": True}
