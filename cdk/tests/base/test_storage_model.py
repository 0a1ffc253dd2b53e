"""The storage base class and the file-backed key-value store behave like a dict."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from modelmesh.clock import ManualClock
from modelmesh.interfaces.storage import EntryMetadata, StorageEntry
from modelmesh_cdk.base.storage import BaseStorage, KeyValueStorage

keys = st.sampled_from(["state/a", "state/b", "config/a", "logs/x", ""])
prefixes = st.sampled_from([None, "", "state/", "config", "logs/x", "z"])
payloads = st.binary(max_size=32)
metadata = st.dictionaries(st.sampled_from(["format", "content_type", "n"]), st.text(max_size=8))


class StorageModel(RuleBasedStateMachine):
    """Every operation against the storage matches the same operation on a dict."""

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.clock = ManualClock()
        self.model: dict[str, tuple[StorageEntry, datetime]] = {}
        self.storage = self.make_storage()

    def make_storage(self) -> BaseStorage:
        return BaseStorage(clock=self.clock)

    def run(self, coroutine):
        return self.runner.run(coroutine)

    @rule(key=keys, data=payloads, meta=metadata, seconds=st.integers(0, 100))
    def save(self, key, data, meta, seconds):
        self.clock.advance(seconds)
        entry = StorageEntry(key, data, meta)
        self.run(self.storage.save(key, entry))
        self.model[key] = (entry, self.clock.now())

    @rule(key=keys)
    def load(self, key):
        expected = self.model.get(key)
        assert self.run(self.storage.load(key)) == (expected[0] if expected else None)

    @rule(key=keys)
    def delete(self, key):
        assert self.run(self.storage.delete(key)) is (self.model.pop(key, None) is not None)

    @rule(prefix=prefixes)
    def list(self, prefix):
        expected = sorted(k for k in self.model if prefix is None or k.startswith(prefix))
        assert self.run(self.storage.list(prefix)) == expected

    @rule(key=keys)
    def stat(self, key):
        expected = None
        if key in self.model:
            entry, written = self.model[key]
            content_type = entry.metadata.get("content_type")
            expected = EntryMetadata(key, len(entry.data), written, content_type)
        assert self.run(self.storage.stat(key)) == expected

    @invariant()
    def exists_matches(self):
        for key in ("state/a", "config/a", ""):
            assert self.run(self.storage.exists(key)) is (key in self.model)

    def teardown(self):
        self.runner.close()


class FileStorageModel(StorageModel):
    """The file backend, also reopened from its file now and then."""

    def make_storage(self) -> BaseStorage:
        if not hasattr(self, "directory"):
            self.directory = Path(tempfile.mkdtemp())
            self.options = {"backend": "file", "file_path": str(self.directory / "store")}
        return KeyValueStorage(self.options, clock=self.clock)

    @precondition(lambda self: self.model)
    @rule()
    def reopen(self):
        self.storage = self.make_storage()

    def teardown(self):
        super().teardown()
        shutil.rmtree(self.directory, ignore_errors=True)


TestBaseStorageAgainstADict = StorageModel.TestCase
TestFileStorageAgainstADict = FileStorageModel.TestCase
TestFileStorageAgainstADict.settings = settings(max_examples=40, deadline=None)
