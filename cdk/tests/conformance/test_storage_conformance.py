"""BaseStorage and KeyValueStorage (memory and file) pass the standard storage suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelmesh.clock import ManualClock
from modelmesh_cdk.base.storage import BaseStorage, KeyValueStorage
from modelmesh_cdk.testing.suites import StorageTests


class TestBaseStorage(StorageTests):
    connector_class = BaseStorage

    @property
    def clock(self) -> ManualClock:
        return ManualClock()


class TestKeyValueStorageInMemory(TestBaseStorage):
    connector_class = KeyValueStorage


class TestKeyValueStorageInAFile(TestBaseStorage):
    connector_class = KeyValueStorage

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        return {"backend": "file", "file_path": str(workdir / "state.json")}


class TestKeyValueStorageInAMsgpackFile(TestBaseStorage):
    connector_class = KeyValueStorage

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        return {"backend": "file", "file_path": str(workdir / "state.bin"), "format": "msgpack"}
