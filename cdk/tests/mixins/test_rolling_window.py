from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.clock import ManualClock
from modelmesh_cdk.mixins.rolling_window import RollingWindowMixin


class Window(RollingWindowMixin):
    def __init__(self, size: int = 100, duration: float = 300.0) -> None:
        self._clock = ManualClock()
        self._init_window(window_size=size, window_duration_seconds=duration)


VALUES = st.floats(min_value=0, max_value=1e6, allow_nan=False)
SAMPLES = st.lists(st.tuples(VALUES, st.booleans(), st.floats(0, 50)), max_size=40)


def fill(window: Window, samples: list[tuple[float, bool, float]]) -> None:
    for value, success, gap in samples:
        window._record_sample("m", value, success)
        window._clock.advance(gap)


def test_an_unknown_key_has_a_perfect_rate_and_zero_average_and_score():
    window = Window()
    assert (window._get_rate("m"), window._get_average("m"), window._get_score("m")) == (
        1.0,
        0.0,
        0.0,
    )


def test_the_rate_is_the_fraction_of_successes():
    window = Window()
    for success in (True, True, False, True):
        window._record_sample("m", 1.0, success)
    assert window._get_rate("m") == 0.75


def test_the_average_is_the_mean_value():
    window = Window()
    for value in (10.0, 20.0, 60.0):
        window._record_sample("m", value)
    assert window._get_average("m") == 30.0


def test_the_score_is_an_ewma_with_alpha_0_3_times_the_success_rate():
    window = Window()
    window._record_sample("m", 10.0, True)
    window._record_sample("m", 20.0, False)
    assert window._get_score("m") == pytest.approx((0.3 * 20 + 0.7 * 10) * 0.5)


def test_keys_are_independent():
    window = Window()
    window._record_sample("a", 1.0, False)
    assert window._get_rate("b") == 1.0


def test_a_sample_older_than_the_duration_is_forgotten():
    window = Window(duration=10)
    window._record_sample("m", 1.0, False)
    window._clock.advance(10.5)
    window._record_sample("m", 5.0, True)
    assert (window._get_rate("m"), window._get_average("m")) == (1.0, 5.0)


@given(SAMPLES)
def test_the_rate_stays_between_zero_and_one(samples):
    window = Window(size=10, duration=60)
    fill(window, samples)
    assert 0.0 <= window._get_rate("m") <= 1.0


@given(SAMPLES)
def test_the_average_lies_within_the_retained_values(samples):
    window = Window(size=10, duration=60)
    fill(window, samples)
    retained = [sample.value for sample in window._window_samples("m")]
    if retained:
        rounding = 1e-9 * max(retained)
        assert min(retained) - rounding <= window._get_average("m") <= max(retained) + rounding


@given(SAMPLES)
def test_no_sample_older_than_the_duration_counts(samples):
    window = Window(size=10, duration=60)
    fill(window, samples)
    now = window._clock.monotonic()
    assert all(now - sample.timestamp <= 60 for sample in window._window_samples("m"))


@given(SAMPLES)
def test_at_most_window_size_samples_are_kept(samples):
    window = Window(size=10, duration=60)
    fill(window, samples)
    assert len(window._window_samples("m")) <= 10


@given(SAMPLES)
def test_the_most_recent_samples_are_the_ones_kept(samples):
    window = Window(size=10, duration=1e9)
    fill(window, samples)
    assert [s.value for s in window._window_samples("m")] == [v for v, _, _ in samples][-10:]
