"""MemoryStorage passes the standard storage tests."""

from __future__ import annotations

from modelmesh.clock import ManualClock
from modelmesh_cdk.testing.suites import StorageTests
from modelmesh_plugin_memory_storage.connector import MemoryStorage


class TestMemoryStorage(StorageTests):
    connector_class = MemoryStorage

    @property
    def clock(self) -> ManualClock:
        # Lets the suite expire locks without waiting.
        return ManualClock()
