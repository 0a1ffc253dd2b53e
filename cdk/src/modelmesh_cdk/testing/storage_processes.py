"""Crash and cross-process checks for storage that other processes share.

A store on disk or in a server must survive its writer being killed mid-save and must
lock out other processes, not just other tasks. These helpers run a real child process
(``sys.executable``) that builds the connector from ``"module:Class"`` and options, so
a test kills it with SIGKILL exactly as a crash would, at a moment chosen from the
saves it has reported on a pipe rather than from a sleep.

Every value the child saves checks itself: a JSON body carrying the SHA-256 of its
payload, so a torn or mixed write is detected on load.
"""

from __future__ import annotations

import hashlib
import json
import random
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelmesh.interfaces.storage import StorageConnector

__all__ = [
    "check_saved_entries",
    "contend_for_lock",
    "hold_lock_until_killed",
    "kill_saver_repeatedly",
    "overlapping_holds",
]

_CHILD = r"""
import asyncio, hashlib, importlib, json, os, sys
from modelmesh.interfaces.storage import StorageEntry

spec = json.loads(sys.argv[1])
module, name = spec["connector"].split(":")
storage = getattr(importlib.import_module(module), name)(spec["options"])

def report(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()

async def save_forever():
    number = 0
    while True:
        payload = os.urandom(16 + (number * 97) % 4000).hex()
        digest = hashlib.sha256(payload.encode()).hexdigest()
        body = json.dumps({"number": number, "payload": payload, "sha256": digest})
        key = "entry-%d" % (number % spec["keys"])
        await storage.save(key, StorageEntry(key, body.encode(), {"sha256": digest}))
        number += 1
        report(str(number))

async def contend():
    log = spec["log"]
    for _ in range(spec["rounds"]):
        handle = await storage.acquire(spec["key"], timeout=60)
        for event in ("enter", "exit"):
            with open(log, "a") as file:
                file.write("%s %d\n" % (event, os.getpid()))
            await asyncio.sleep(0)
        await storage.release(handle)
    report("done")

async def hold():
    await storage.acquire(spec["key"], timeout=60)
    report("held")
    await asyncio.to_thread(sys.stdin.read)

asyncio.run({"save": save_forever, "contend": contend, "hold": hold}[spec["mode"]]())
"""


def _spawn(connector: str, options: Mapping[str, Any], **spec: Any) -> subprocess.Popen[str]:
    argument = json.dumps({"connector": connector, "options": dict(options), **spec})
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, argument],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _read_report(child: subprocess.Popen[str]) -> str:
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line:
        child.wait()
        raise AssertionError(f"the storage child process exited with {child.returncode}")
    return line.strip()


def _kill(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait()
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            stream.close()


def kill_saver_repeatedly(
    connector: str,
    options: Mapping[str, Any],
    *,
    kills: int = 5,
    keys: int = 4,
    chooser: random.Random | None = None,
) -> int:
    """Start a child saving self-checking entries over ``keys`` keys, SIGKILL it after
    a number of reported saves ``chooser`` picks, ``kills`` times; the total saves
    reported."""
    chooser = chooser or random.Random(0)
    total = 0
    for _ in range(kills):
        child = _spawn(connector, options, mode="save", keys=keys)
        try:
            target = chooser.randint(1, 60)
            while int(_read_report(child)) < target:
                pass
            total += target
        finally:
            _kill(child)
    return total


async def check_saved_entries(storage: StorageConnector) -> list[str]:
    """Load every listed key and check its value is complete; the keys checked.

    AssertionError naming the key whose value is torn or does not match its digest.
    """
    keys = await storage.list()
    for key in keys:
        entry = await storage.load(key)
        assert entry is not None, f"{key!r} is listed but does not load"
        body = json.loads(entry.data)
        digest = hashlib.sha256(body["payload"].encode()).hexdigest()
        assert digest == body["sha256"] == entry.metadata["sha256"], f"{key!r} is corrupt"
    return keys


def contend_for_lock(
    connector: str,
    options: Mapping[str, Any],
    log: Path,
    *,
    processes: int = 2,
    rounds: int = 20,
    key: str = "contended",
) -> list[str]:
    """Run ``processes`` children that each take the lock on ``key`` ``rounds`` times
    and write ``enter <pid>`` and ``exit <pid>`` to ``log`` while holding it; the
    log's lines once all are done."""
    children = [
        _spawn(connector, options, mode="contend", log=str(log), rounds=rounds, key=key)
        for _ in range(processes)
    ]
    try:
        for child in children:
            assert _read_report(child) == "done"
    finally:
        for child in children:
            _kill(child)
    return log.read_text().splitlines()


def overlapping_holds(lines: list[str]) -> list[int]:
    """Line numbers where a process entered while another held the lock."""
    holder: str | None = None
    overlaps = []
    for number, line in enumerate(lines):
        event, pid = line.split()
        if event == "enter":
            if holder is not None:
                overlaps.append(number)
            holder = pid
        elif holder == pid:
            holder = None
    return overlaps


def hold_lock_until_killed(connector: str, options: Mapping[str, Any], key: str) -> None:
    """Start a child that takes the lock on ``key``, and SIGKILL it once it holds it,
    leaving the lock behind as a crashed holder would."""
    child = _spawn(connector, options, mode="hold", key=key)
    try:
        assert _read_report(child) == "held"
    finally:
        _kill(child)
