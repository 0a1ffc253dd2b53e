"""Secrets held in memory: for tests, and for programs that embed ModelMesh and already
hold their keys (from their own vault client, say) without writing them anywhere."""

from __future__ import annotations

from modelmesh_cdk.base.secret_store import BaseSecretStore


class MemorySecretsSecretStore(BaseSecretStore):
    """Resolves ``${secrets:NAME}`` from the ``secrets`` option.

    Everything is the base class's: the ``secrets`` mapping, its TTL cache, the
    missing-secret rule, reprs that show a count but never a value, and management
    (``set``, ``list``, ``delete``) that changes only this instance's memory.
    """
