"""SQLiteStorage passes the standard storage tests in every format, compressed or not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelmesh.clock import ManualClock
from modelmesh_cdk.testing.suites import StorageTests
from modelmesh_plugin_sqlite.connector import SQLiteStorage


class TestSQLiteStorage(StorageTests):
    connector_class = SQLiteStorage

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        workdir.mkdir(parents=True, exist_ok=True)
        return {"path": str(workdir / "state.db")}

    @property
    def clock(self) -> ManualClock:
        # Lets the suite expire locks without waiting.
        return ManualClock()


class TestSQLiteStorageInYaml(TestSQLiteStorage):
    def connector_options(self, workdir: Path) -> dict[str, Any]:
        return {**super().connector_options(workdir), "format": "yaml"}


class TestSQLiteStorageInCompressedMsgpack(TestSQLiteStorage):
    def connector_options(self, workdir: Path) -> dict[str, Any]:
        return {**super().connector_options(workdir), "format": "msgpack", "compression": True}
