"""Save and load throughput of each storage backend for a 1 KiB entry, in process.

Memory, local files (atomic, fsynced writes) and SQLite (WAL, synchronous=FULL) always
run; Redis runs when ``redis-server`` is on PATH and the Redis plugin imports, against a
server started on a free loopback port in a temporary directory and stopped afterwards.
No goals: the figures show what a durable write costs on this machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from modelmesh.interfaces.storage import StorageConnector, StorageEntry

OPERATIONS = 100
KEYS = 20
ENTRY = b"x" * 1024


@attrs.frozen
class Throughput:
    name: str
    save_per_second: float
    load_per_second: float
    passed: bool | None = None


async def _measure(storage: StorageConnector, runs: int) -> tuple[float, float]:
    """Median operations per second over ``runs`` batches of saves, then of loads."""
    keys = [f"bench/{number}" for number in range(KEYS)]
    for key in keys:
        await storage.save(key, StorageEntry(key, ENTRY, {"content_type": "bytes"}))
    saves, loads = [], []
    for _ in range(runs):
        start = time.perf_counter()
        for number in range(OPERATIONS):
            key = keys[number % KEYS]
            await storage.save(key, StorageEntry(key, ENTRY, {"content_type": "bytes"}))
        saves.append(OPERATIONS / (time.perf_counter() - start))
        start = time.perf_counter()
        for number in range(OPERATIONS):
            await storage.load(keys[number % KEYS])
        loads.append(OPERATIONS / (time.perf_counter() - start))
    await storage.close()
    return statistics.median(saves), statistics.median(loads)


def _connector(module: str, name: str) -> Callable[[dict[str, Any]], StorageConnector]:
    return getattr(importlib.import_module(module), name)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _redis_server(directory: str) -> Iterator[int]:
    port = _free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            directory,
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.02)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def _redis_available() -> bool:
    if shutil.which("redis-server") is None:
        return False
    try:
        importlib.import_module("modelmesh_plugin_redis.connector")
    except ImportError:
        return False
    return True


def run(runs: int) -> list[Throughput]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        backends: list[tuple[str, str, str, dict[str, Any]]] = [
            ("memory", "modelmesh_plugin_memory_storage.connector", "MemoryStorage", {}),
            (
                "local file (json)",
                "modelmesh_plugin_file_storage.connector",
                "LocalFileStorage",
                {"path": os.path.join(tmp, "files")},
            ),
            (
                "sqlite (json)",
                "modelmesh_plugin_sqlite.connector",
                "SQLiteStorage",
                {"path": os.path.join(tmp, "state.db")},
            ),
        ]
        for name, module, cls, options in backends:
            storage = _connector(module, cls)(options)
            results.append(Throughput(name, *asyncio.run(_measure(storage, runs))))
        if _redis_available():
            with _redis_server(str(Path(tmp))) as port:
                storage = _connector("modelmesh_plugin_redis.connector", "RedisStorage")(
                    {"url": f"redis://127.0.0.1:{port}/0"}
                )
                results.append(
                    Throughput("redis (loopback)", *asyncio.run(_measure(storage, runs)))
                )
    return results


def print_table(title: str, results: Sequence[Throughput]) -> None:
    header = ("backend", "save ops/s", "load ops/s")
    rows = [(r.name, f"{r.save_per_second:.0f}", f"{r.load_per_second:.0f}") for r in results]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    print(f"\n{title} ({len(ENTRY)}-byte entry, {OPERATIONS} operations per timed batch)")
    for i, row in enumerate((header, *rows)):
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
