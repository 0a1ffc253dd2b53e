"""Locks hold between separate processes sharing one redis-server."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from modelmesh_plugin_redis.connector import RedisStorage

WORKER = str(Path(__file__).with_name("lock_worker.py"))
ROUNDS = 100
# Bounds every wait on a child process; generous, reached only when something hangs.
PROCESS_SECONDS = 60


def test_two_processes_never_hold_the_lock_together(
    redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    log, counter = tmp_path / "log", tmp_path / "counter"
    log.write_text("")
    counter.write_text("0")
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                WORKER,
                "contend",
                redis_url,
                key_prefix,
                str(log),
                str(counter),
                str(ROUNDS),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        assert [_readline(worker) for worker in workers] == ["ready", "ready"]
        for worker in workers:
            _send(worker, "go\n")
        assert [worker.wait(timeout=PROCESS_SECONDS) for worker in workers] == [0, 0]
    finally:
        for worker in workers:
            _stop(worker)

    lines = log.read_text().splitlines()
    entries, exits = lines[0::2], lines[1::2]
    # Every enter is followed by the same process's exit before anyone enters again.
    assert [line.replace("enter", "exit") for line in entries] == exits
    assert len({line.split()[1] for line in entries}) == 2
    assert int(counter.read_text()) == 2 * ROUNDS


def test_a_killed_holders_lock_expires_after_its_ttl(redis_url: str, key_prefix: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, WORKER, "hold", redis_url, key_prefix, "500ms"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert _readline(holder) == "locked"
        holder.kill()
        holder.wait(timeout=PROCESS_SECONDS)
    finally:
        _stop(holder)

    async def scenario() -> tuple[bool, bool]:
        storage = RedisStorage(
            {"url": redis_url, "key_prefix": key_prefix, "lock_retry_interval_seconds": "10ms"}
        )
        try:
            held_after_death = await storage.is_locked("shared")
            handle = await storage.acquire("shared", timeout=10)
            return held_after_death, handle.key == "shared"
        finally:
            await storage.close()

    # The dead holder's lock outlives it, then frees the key within the bounded wait.
    assert asyncio.run(scenario()) == (True, True)


def _readline(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    return process.stdout.readline().strip()


def _send(process: subprocess.Popen[str], text: str) -> None:
    assert process.stdin is not None
    process.stdin.write(text)
    process.stdin.flush()


def _stop(process: subprocess.Popen[str]) -> None:
    """Kill a child still running (a failed test) and close its pipes."""
    if process.poll() is None:
        process.kill()
        process.wait()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
