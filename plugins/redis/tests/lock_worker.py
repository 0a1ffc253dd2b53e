"""A separate process using RedisStorage's lock, driven by the multi-process tests.

``contend URL PREFIX LOG COUNTER ROUNDS``: connect, say "ready" on stdout and wait for a
line on stdin, so both processes start contending together; then take the lock ROUNDS
times; inside it, log enter and exit lines and increment a counter file with a
read-modify-write that loses updates unless the lock excludes the other process.

``hold URL PREFIX TTL``: take the lock for TTL seconds, say "locked" on stdout and wait
for stdin to close (the test kills this process instead).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from modelmesh_plugin_redis.connector import RedisStorage

LOCK_KEY = "shared"


async def contend(url: str, prefix: str, log: Path, counter: Path, rounds: int) -> None:
    storage = RedisStorage({"url": url, "key_prefix": prefix, "lock_retry_interval_seconds": "5ms"})
    try:
        await storage.is_locked(LOCK_KEY)  # connects before the start signal
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        for _ in range(rounds):
            handle = await storage.acquire(LOCK_KEY, timeout=30)
            with log.open("a") as out:
                out.write(f"enter {os.getpid()}\n")
            value = int(counter.read_text())
            await asyncio.sleep(0)  # let the other process's acquire attempts run
            counter.write_text(str(value + 1))
            with log.open("a") as out:
                out.write(f"exit {os.getpid()}\n")
            await storage.release(handle)
    finally:
        await storage.close()


async def hold(url: str, prefix: str, ttl: str) -> None:
    storage = RedisStorage({"url": url, "key_prefix": prefix, "lock_ttl_seconds": ttl})
    await storage.acquire(LOCK_KEY, timeout=10)
    print("locked", flush=True)
    await asyncio.to_thread(sys.stdin.read)


def main(argv: list[str]) -> None:
    command, url, prefix, *rest = argv
    if command == "contend":
        log, counter, rounds = rest
        asyncio.run(contend(url, prefix, Path(log), Path(counter), int(rounds)))
    else:
        asyncio.run(hold(url, prefix, rest[0]))


if __name__ == "__main__":
    main(sys.argv[1:])
