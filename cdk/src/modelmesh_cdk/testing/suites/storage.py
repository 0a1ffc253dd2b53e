"""The standard tests every storage connector passes.

Persistence, inventory and stat queries are checked against a plain dict by a
hypothesis state machine, so any interleaving of saves, deletes, listings and stats
must agree with the model; locking, when the connector offers it, is checked for
mutual exclusion, timeouts, expiry and release.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from modelmesh.clock import SYSTEM_CLOCK, Clock, ManualClock
from modelmesh.interfaces.storage import Locking, StorageConnector, StorageEntry
from modelmesh_cdk.testing.suites.guard import StandardSuite

T = TypeVar("T")
StorageFactory = Callable[[], StorageConnector]

# Few, overlapping keys, so saves overwrite and prefixes match more than one key; and a
# few a file- or URL-based backend could mangle.
KEYS = st.sampled_from(["a", "ab", "a/b", "a/c", "b", "b/a", "a b", "../a", "ключ"])
PREFIXES = st.sampled_from(["", "a", "a/", "b", "z", "."])
DATA = st.binary(max_size=64)
METADATA = st.dictionaries(
    st.text(alphabet="xyz", min_size=1, max_size=3),
    st.integers(-100, 100) | st.text(alphabet="pqr ", max_size=5),
    max_size=2,
)
# How long the exclusion test lets a second acquirer run before the holder releases.
CONTENDED_TURNS = 5


class StorageTests(StandardSuite, standard=True):
    """Subclass with ``connector_class`` (and ``connector_options`` if it needs any)."""

    # What the author declares

    @property
    def connector_class(self) -> type[StorageConnector]:
        raise NotImplementedError("set connector_class to the storage class under test")

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        """Options for one fresh, empty store; ``workdir`` is a new empty directory."""
        return {}

    @property
    def supports_locking(self) -> bool:
        return issubclass(self.connector_class, Locking)

    @property
    def clock(self) -> Clock | None:
        """A clock passed as ``clock=`` to the connector, read once per test; a
        ManualClock lets the suite expire locks without waiting. None builds the
        connector without one."""
        return None

    @pytest.fixture
    def storage_clock(self) -> Clock | None:
        """The clock of this test's connectors (``clock``, read once)."""
        return self.clock

    @pytest.fixture
    def storage_factory(self, tmp_path: Path, storage_clock: Clock | None) -> StorageFactory:
        """Builds a fresh, empty connector per call; override for custom construction.

        Call it inside the event loop that uses the connector.
        """
        workdirs = (tmp_path / f"store-{number}" for number in itertools.count())

        def build() -> StorageConnector:
            workdir = next(workdirs)
            workdir.mkdir()
            options = self.connector_options(workdir)
            if storage_clock is None:
                return self.connector_class(options)  # type: ignore[call-arg]
            return self.connector_class(options, clock=storage_clock)  # type: ignore[call-arg]

        return build

    # Helpers

    def with_storage(self, factory: StorageFactory, scenario: Callable[[Any], Awaitable[T]]) -> T:
        async def run() -> T:
            storage = factory()
            try:
                return await scenario(storage)
            finally:
                await storage.close()

        return asyncio.run(run())

    def _skip_unless_locking(self) -> None:
        if not self.supports_locking:
            pytest.skip("the connector declares supports_locking = False")

    # Standard tests: persistence, inventory, stat

    def test_behaves_like_a_dict(self, storage_factory: StorageFactory) -> None:
        machine = type("Machine", (StorageMachine,), {"factory": staticmethod(storage_factory)})
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=30,
                stateful_step_count=15,
                deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture],
            ),
        )

    def test_load_of_a_missing_key_is_none(self, storage_factory: StorageFactory) -> None:
        assert self.with_storage(storage_factory, lambda s: s.load("missing")) is None

    def test_delete_says_whether_the_key_existed(self, storage_factory: StorageFactory) -> None:
        async def scenario(storage: StorageConnector) -> tuple[bool, bool]:
            await storage.save("k", StorageEntry("k", b"v", {}))
            return await storage.delete("k"), await storage.delete("k")

        assert self.with_storage(storage_factory, scenario) == (True, False)

    def test_stat_reports_size_in_bytes(self, storage_factory: StorageFactory) -> None:
        async def scenario(storage: StorageConnector) -> int:
            await storage.save("k", StorageEntry("k", "héllo".encode(), {}))
            stat = await storage.stat("k")
            assert stat is not None
            return stat.size

        assert self.with_storage(storage_factory, scenario) == len("héllo".encode())

    # Standard tests: locking

    def test_lock_excludes_a_second_holder_until_released(
        self, storage_factory: StorageFactory
    ) -> None:
        self._skip_unless_locking()

        async def scenario(storage: Any) -> tuple[bool, bool]:
            first = await storage.acquire("k", timeout=1)
            second = asyncio.ensure_future(storage.acquire("k", timeout=3600))
            for _ in range(CONTENDED_TURNS):
                await asyncio.sleep(0)
            waited = not second.done()
            await storage.release(first)
            handle = await second
            await storage.release(handle)
            return waited, handle.key == "k"

        assert self.with_storage(storage_factory, scenario) == (True, True)

    def test_acquire_times_out_while_the_key_is_held(self, storage_factory: StorageFactory) -> None:
        self._skip_unless_locking()

        async def scenario(storage: Any) -> None:
            await storage.acquire("k", timeout=1)
            with pytest.raises(TimeoutError):
                await storage.acquire("k", timeout=0.05)

        self.with_storage(storage_factory, scenario)

    def test_locks_are_per_key(self, storage_factory: StorageFactory) -> None:
        self._skip_unless_locking()

        async def scenario(storage: Any) -> bool:
            await storage.acquire("k", timeout=1)
            await storage.acquire("other", timeout=0.05)
            return await storage.is_locked("other")

        assert self.with_storage(storage_factory, scenario) is True

    def test_release_frees_the_key(self, storage_factory: StorageFactory) -> None:
        self._skip_unless_locking()

        async def scenario(storage: Any) -> tuple[bool, bool]:
            handle = await storage.acquire("k", timeout=1)
            held = await storage.is_locked("k")
            await storage.release(handle)
            return held, await storage.is_locked("k")

        assert self.with_storage(storage_factory, scenario) == (True, False)

    def test_an_unreleased_lock_expires(
        self, storage_factory: StorageFactory, storage_clock: Clock | None
    ) -> None:
        self._skip_unless_locking()

        async def scenario(storage: Any) -> bool:
            handle = await storage.acquire("k", timeout=1)
            if handle.expires_at is None:
                pytest.skip("the connector's locks never expire")
            if isinstance(storage_clock, ManualClock):
                storage_clock.set(handle.expires_at + timedelta(seconds=1))
            else:
                left = (handle.expires_at - storage_now(storage)).total_seconds()
                if left > 0.2:
                    pytest.skip("set `clock` to a ManualClock, or a lock ttl of at most 0.2s")
                await asyncio.sleep(max(left, 0) + 0.01)
            return await storage.is_locked("k")

        assert self.with_storage(storage_factory, scenario) is False


def storage_now(storage: Any) -> Any:
    """The storage's own notion of now: its injected clock, else the system's."""
    return getattr(storage, "_clock", SYSTEM_CLOCK).now()


class StorageMachine(RuleBasedStateMachine):
    """Random operations on a fresh store, each checked against a dict of expected bytes."""

    factory: StorageFactory

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.storage = self.run(_build(self.factory))
        self.model: dict[str, tuple[bytes, dict[str, Any]]] = {}

    def run(self, awaitable: Awaitable[T]) -> T:
        return self.loop.run_until_complete(awaitable)

    @rule(key=KEYS, data=DATA, metadata=METADATA)
    def save(self, key: str, data: bytes, metadata: dict[str, Any]) -> None:
        self.run(self.storage.save(key, StorageEntry(key, data, metadata)))
        self.model[key] = (data, metadata)

    @rule(key=KEYS)
    def load(self, key: str) -> None:
        entry = self.run(self.storage.load(key))
        expected = self.model.get(key)
        if expected is None:
            assert entry is None
        else:
            assert entry is not None
            assert (entry.key, entry.data, dict(entry.metadata)) == (key, *expected)

    @rule(key=KEYS)
    def delete(self, key: str) -> None:
        assert self.run(self.storage.delete(key)) is (key in self.model)
        self.model.pop(key, None)

    @rule(prefix=PREFIXES)
    def list_prefix(self, prefix: str) -> None:
        listed = self.run(self.storage.list(prefix or None))
        assert sorted(listed) == sorted(k for k in self.model if k.startswith(prefix))

    @rule(key=KEYS)
    def stat(self, key: str) -> None:
        stat = self.run(self.storage.stat(key))
        if key not in self.model:
            assert stat is None
        else:
            assert stat is not None
            assert (stat.key, stat.size) == (key, len(self.model[key][0]))

    @invariant()
    def exists_matches(self) -> None:
        for key in ("a", "a/b", "b"):
            assert self.run(self.storage.exists(key)) is (key in self.model)

    def teardown(self) -> None:
        try:
            self.run(self.storage.close())
        finally:
            self.loop.close()


async def _build(factory: StorageFactory) -> StorageConnector:
    return factory()


__all__ = ["StorageMachine", "StorageTests"]
