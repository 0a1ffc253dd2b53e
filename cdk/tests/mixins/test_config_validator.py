from __future__ import annotations

import pytest

from modelmesh_cdk.mixins.config_validator import ConfigValidatorMixin

validator = ConfigValidatorMixin()

SCHEMA = {
    "base_url": {"type": str, "required": True},
    "timeout": {"type": (int, float)},
    "retries": {"type": int},
}


def test_a_valid_config_has_no_errors():
    assert validator._validate_config({"base_url": "http://x", "timeout": 2.5}, SCHEMA) == []


def test_every_problem_is_listed():
    errors = validator._validate_config({"timeout": "30s", "retries": 2}, SCHEMA)
    assert errors == [
        "missing required field 'base_url'",
        "field 'timeout' expected type int or float, got str",
    ]


def test_a_boolean_is_not_a_number():
    assert validator._validate_config({"base_url": "x", "retries": True}, SCHEMA) == [
        "field 'retries' expected type int, got bool"
    ]


def test_messages_never_contain_the_value():
    errors = validator._validate_config({"base_url": 123456789}, SCHEMA)
    assert "123456789" not in errors[0]


def test_require_field_returns_the_value():
    assert validator._require_field({"n": 3}, "n", int) == 3


def test_require_field_raises_key_error_when_missing():
    with pytest.raises(KeyError, match="missing required field 'n'"):
        validator._require_field({}, "n", int)


def test_require_field_raises_type_error_when_mistyped():
    with pytest.raises(TypeError, match="expected type int, got str"):
        validator._require_field({"n": "3"}, "n", int)


@pytest.mark.parametrize("url", ["http://localhost:8080", "https://api.example.com/v1"])
def test_http_and_https_urls_are_valid(url):
    assert validator._validate_url(url)


@pytest.mark.parametrize("url", ["ftp://example.com", "example.com", "https://", "", None])
def test_other_urls_are_not(url):
    assert not validator._validate_url(url)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("7d", 604800.0),
        ("500ms", 0.5),
        ("1.5s", 1.5),
        (12, 12.0),
    ],
)
def test_durations_are_parsed_to_seconds(text, seconds):
    assert validator._validate_duration(text) == seconds


@pytest.mark.parametrize("text", ["30", "soon", "5 weeks", "-1s"])
def test_invalid_durations_raise_value_error(text):
    with pytest.raises(ValueError, match="duration"):
        validator._validate_duration(text)
