"""Durations: ms, s, m, h, d with decimals, or seconds; written back compactly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.config import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("100ms", 0.1),
        ("1.5s", 1.5),
        ("60s", 60.0),
        ("30m", 1800.0),
        ("1h", 3600.0),
        ("24h", 86400.0),
        ("7d", 604800.0),
        (" 2 m ", 120.0),
        (".5s", 0.5),
    ],
)
def test_documented_duration_strings_parse_to_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_numbers_are_seconds() -> None:
    assert parse_duration(30) == 30.0
    assert parse_duration(0.25) == 0.25


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(300, "5m"), (0.5, "500ms"), (90, "90s"), (0, "0s"), (86400, "1d"), (7200, "2h")],
)
def test_format_uses_the_largest_unit_that_divides_evenly(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_an_unknown_unit_is_rejected_with_the_list_of_units() -> None:
    with pytest.raises(ValueError, match=r"unknown duration unit 'w'.*ms, s, m, h, d"):
        parse_duration("2w")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "  ",
        "-5s",
        -1,
        "fast",
        "5 parsecs",
        "1.2.3s",
        float("nan"),
        float("inf"),
        True,
        None,
        [5],
    ],
)
def test_garbage_is_rejected(value: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)  # type: ignore[arg-type]


def test_a_quoted_bare_number_needs_a_unit() -> None:
    with pytest.raises(ValueError, match="no unit"):
        parse_duration("30")


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False))
def test_format_then_parse_gives_back_the_same_seconds(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["ms", "s", "m", "h", "d"]))
def test_parse_then_format_then_parse_is_stable(number: int, unit: str) -> None:
    seconds = parse_duration(f"{number}{unit}")
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.text(alphabet="0123456789.-+ewxyzkqMSHD ", max_size=8))
def test_parse_either_succeeds_or_raises_value_error(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except ValueError:
        return
    assert seconds >= 0
