"""Progress records for streams in flight, so an interrupted stream can be told apart
from a finished one and resumed from what was already delivered.

Each stream gets a StreamCheckpoint that counts tokens, keeps the most recent text
(at most ``max_buffer_tokens`` tokens of it) and, every ``checkpoint_interval``
tokens, saves a resume point: the token count and buffered text at that moment.
At most ``max_checkpoints`` are tracked; the oldest are dropped first, so a
connector that forgets to remove finished checkpoints cannot leak memory.
"""

from __future__ import annotations

from collections import OrderedDict, deque

import attrs

from modelmesh.clock import SYSTEM_CLOCK, Clock

__all__ = ["CheckpointStats", "StreamCheckpoint", "StreamCheckpointMixin"]

DEFAULT_MAX_BUFFER_TOKENS = 8192
DEFAULT_CHECKPOINT_INTERVAL = 50
DEFAULT_MAX_CHECKPOINTS = 1000


@attrs.define
class StreamCheckpoint:
    """One stream's progress. Feed it with ``record`` and close it with ``complete``."""

    request_id: str
    model_id: str | None
    clock: Clock = attrs.field(repr=False)
    max_buffer_tokens: int = attrs.field(default=DEFAULT_MAX_BUFFER_TOKENS, repr=False)
    checkpoint_interval: int = attrs.field(default=DEFAULT_CHECKPOINT_INTERVAL, repr=False)
    tokens_received: int = 0
    is_complete: bool = False
    checkpoint_tokens: int = 0
    """Tokens received at the last resume point."""
    checkpoint_content: str = ""
    """Buffered text at the last resume point."""
    started_at: float = attrs.field(init=False)
    completed_at: float | None = attrs.field(init=False, default=None)
    _chunks: deque[tuple[str, int]] = attrs.field(init=False, factory=deque, repr=False)
    _buffered_tokens: int = attrs.field(init=False, default=0, repr=False)

    def __attrs_post_init__(self) -> None:
        self.started_at = self.clock.monotonic()

    @property
    def content_buffer(self) -> str:
        """The most recent text received, at most ``max_buffer_tokens`` tokens of it."""
        return "".join(text for text, _ in self._chunks)

    @property
    def duration(self) -> float:
        """Seconds from creation to completion, or to now while the stream runs."""
        end = self.completed_at if self.completed_at is not None else self.clock.monotonic()
        return end - self.started_at

    @property
    def tokens_per_second(self) -> float:
        duration = self.duration
        return self.tokens_received / duration if duration > 0 else 0.0

    def record(self, text: str, tokens: int = 1) -> None:
        """Add a chunk of ``tokens`` tokens; the oldest text goes when the buffer is full."""
        self.tokens_received += tokens
        self._chunks.append((text, tokens))
        self._buffered_tokens += tokens
        while self._chunks and self._buffered_tokens > self.max_buffer_tokens:
            self._buffered_tokens -= self._chunks.popleft()[1]
        if self.tokens_received - self.checkpoint_tokens >= self.checkpoint_interval:
            self.checkpoint_tokens = self.tokens_received
            self.checkpoint_content = self.content_buffer

    def complete(self) -> None:
        """The stream ended normally."""
        if not self.is_complete:
            self.is_complete = True
            self.completed_at = self.clock.monotonic()


@attrs.frozen
class CheckpointStats:
    tracked: int
    active: int
    completed: int
    created: int
    dropped: int
    """Checkpoints dropped because more than ``max_checkpoints`` were tracked."""


class StreamCheckpointMixin:
    """Track StreamCheckpoints by request ID; works with the defaults without
    ``configure_checkpoints``. Time is read from ``self._clock``."""

    _clock: Clock = SYSTEM_CLOCK
    _cp_max_buffer_tokens: int = DEFAULT_MAX_BUFFER_TOKENS
    _cp_interval: int = DEFAULT_CHECKPOINT_INTERVAL
    _cp_max_checkpoints: int = DEFAULT_MAX_CHECKPOINTS
    _cp_created: int = 0
    _cp_dropped: int = 0

    def configure_checkpoints(
        self,
        max_buffer_tokens: int = DEFAULT_MAX_BUFFER_TOKENS,
        checkpoint_interval: int = DEFAULT_CHECKPOINT_INTERVAL,
        max_checkpoints: int = DEFAULT_MAX_CHECKPOINTS,
    ) -> None:
        """Set the limits for checkpoints created from now on."""
        for name, value in (
            ("max_buffer_tokens", max_buffer_tokens),
            ("checkpoint_interval", checkpoint_interval),
            ("max_checkpoints", max_checkpoints),
        ):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        self._cp_max_buffer_tokens = max_buffer_tokens
        self._cp_interval = checkpoint_interval
        self._cp_max_checkpoints = max_checkpoints

    def create_checkpoint(self, request_id: str, model_id: str | None = None) -> StreamCheckpoint:
        """Start tracking a stream (replacing any checkpoint with the same request ID)."""
        checkpoints = self._cp_checkpoints()
        checkpoints.pop(request_id, None)
        while len(checkpoints) >= self._cp_max_checkpoints:
            checkpoints.popitem(last=False)
            self._cp_dropped += 1
        checkpoint = StreamCheckpoint(
            request_id,
            model_id,
            self._clock,
            max_buffer_tokens=self._cp_max_buffer_tokens,
            checkpoint_interval=self._cp_interval,
        )
        checkpoints[request_id] = checkpoint
        self._cp_created += 1
        return checkpoint

    def get_checkpoint(self, request_id: str) -> StreamCheckpoint | None:
        return self._cp_checkpoints().get(request_id)

    def remove_checkpoint(self, request_id: str) -> StreamCheckpoint | None:
        """Stop tracking a stream; returns its checkpoint, if it was tracked."""
        return self._cp_checkpoints().pop(request_id, None)

    def active_checkpoints(self) -> list[StreamCheckpoint]:
        """Checkpoints of streams that have not completed, oldest first."""
        return [c for c in self._cp_checkpoints().values() if not c.is_complete]

    def checkpoint_stats(self) -> CheckpointStats:
        checkpoints = self._cp_checkpoints()
        active = len(self.active_checkpoints())
        return CheckpointStats(
            tracked=len(checkpoints),
            active=active,
            completed=len(checkpoints) - active,
            created=self._cp_created,
            dropped=self._cp_dropped,
        )

    def _cp_checkpoints(self) -> OrderedDict[str, StreamCheckpoint]:
        # Created on first use so that the mixin needs no initializer.
        store = self.__dict__.get("_cp_store")
        if store is None:
            store = self.__dict__["_cp_store"] = OrderedDict()
        return store
