"""The error raised when stored state cannot be read, written or locked."""

from __future__ import annotations

from modelmesh.errors import ModelMeshError


class StateError(ModelMeshError):
    """Stored state is unreadable, or the state could not be synced; ``key`` names the entry.

    Raised rather than starting from an empty state, because an empty state would forget
    cooldowns and the free-tier quotas other instances have used.
    """

    def __init__(self, key: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(
            f"state entry {key!r}: {message}", details={"key": key}, retryable=retryable
        )
        self.key = key
