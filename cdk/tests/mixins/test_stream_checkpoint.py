from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.clock import ManualClock
from modelmesh_cdk.mixins.stream_checkpoint import (
    CheckpointStats,
    StreamCheckpointMixin,
)


class Streamer(StreamCheckpointMixin):
    def __init__(self, **limits: int) -> None:
        self._clock = ManualClock()
        if limits:
            self.configure_checkpoints(**limits)


def test_a_new_checkpoint_is_empty_and_active():
    streamer = Streamer()
    checkpoint = streamer.create_checkpoint("r1", model_id="m")
    assert (checkpoint.request_id, checkpoint.model_id) == ("r1", "m")
    assert (checkpoint.tokens_received, checkpoint.content_buffer) == (0, "")
    assert not checkpoint.is_complete
    assert streamer.active_checkpoints() == [checkpoint]


def test_recorded_chunks_accumulate():
    checkpoint = Streamer().create_checkpoint("r1")
    checkpoint.record("Hello")
    checkpoint.record(" world", tokens=2)
    assert (checkpoint.tokens_received, checkpoint.content_buffer) == (3, "Hello world")


def test_the_buffer_keeps_only_the_most_recent_max_buffer_tokens():
    checkpoint = Streamer(max_buffer_tokens=2).create_checkpoint("r1")
    for word in ("a", "b", "c"):
        checkpoint.record(word)
    assert (checkpoint.tokens_received, checkpoint.content_buffer) == (3, "bc")


@given(st.lists(st.tuples(st.text(max_size=3), st.integers(1, 5)), max_size=30))
def test_the_buffer_never_holds_more_than_max_buffer_tokens(chunks):
    checkpoint = Streamer(max_buffer_tokens=7).create_checkpoint("r1")
    for text, tokens in chunks:
        checkpoint.record(text, tokens)
    assert checkpoint._buffered_tokens <= 7
    assert checkpoint.tokens_received == sum(tokens for _, tokens in chunks)


def test_a_resume_point_is_saved_every_checkpoint_interval_tokens():
    checkpoint = Streamer(checkpoint_interval=2).create_checkpoint("r1")
    for word in ("a", "b", "c"):
        checkpoint.record(word)
    assert (checkpoint.checkpoint_tokens, checkpoint.checkpoint_content) == (2, "ab")


def test_duration_and_rate_follow_the_clock():
    streamer = Streamer()
    checkpoint = streamer.create_checkpoint("r1")
    checkpoint.record("x", tokens=10)
    streamer._clock.advance(2)
    assert (checkpoint.duration, checkpoint.tokens_per_second) == (2.0, 5.0)


def test_completion_freezes_the_duration():
    streamer = Streamer()
    checkpoint = streamer.create_checkpoint("r1")
    streamer._clock.advance(1)
    checkpoint.complete()
    streamer._clock.advance(5)
    assert checkpoint.duration == 1.0


def test_a_stream_without_elapsed_time_has_a_zero_rate():
    checkpoint = Streamer().create_checkpoint("r1")
    checkpoint.record("x")
    assert checkpoint.tokens_per_second == 0.0


def test_completed_checkpoints_are_not_active():
    streamer = Streamer()
    streamer.create_checkpoint("r1").complete()
    running = streamer.create_checkpoint("r2")
    assert streamer.active_checkpoints() == [running]


def test_get_and_remove_by_request_id():
    streamer = Streamer()
    checkpoint = streamer.create_checkpoint("r1")
    assert streamer.get_checkpoint("r1") is checkpoint
    assert streamer.remove_checkpoint("r1") is checkpoint
    assert streamer.get_checkpoint("r1") is None


def test_the_oldest_checkpoints_are_dropped_beyond_max_checkpoints():
    streamer = Streamer(max_checkpoints=2)
    for request_id in ("r1", "r2", "r3"):
        streamer.create_checkpoint(request_id)
    assert [c.request_id for c in streamer.active_checkpoints()] == ["r2", "r3"]
    assert streamer.checkpoint_stats().dropped == 1


def test_stats_count_tracked_active_completed_and_created():
    streamer = Streamer()
    streamer.create_checkpoint("r1").complete()
    streamer.create_checkpoint("r2")
    streamer.create_checkpoint("r3")
    streamer.remove_checkpoint("r3")
    assert streamer.checkpoint_stats() == CheckpointStats(
        tracked=2, active=1, completed=1, created=3, dropped=0
    )


def test_limits_below_one_are_refused():
    with pytest.raises(ValueError, match="max_checkpoints"):
        Streamer(max_checkpoints=0)
