"""Storage that keeps state in the process: nothing survives a restart."""

from __future__ import annotations

from modelmesh_cdk.base.storage import BaseStorage


class MemoryStorage(BaseStorage):
    """Entries, inventory, stat and expiring advisory locks in memory.

    For tests, single short-lived processes and deployments that rebuild their state on
    start; ``format`` and ``compression`` are accepted and have nothing to encode.
    """
