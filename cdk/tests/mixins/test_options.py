from __future__ import annotations

import attrs
import pytest

from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.provider import ModelInfo
from modelmesh_cdk.options import Duration, load_options, parse_duration


@attrs.frozen
class Limits:
    rpm: int = 60
    window: Duration = 60.0


@attrs.frozen
class ExampleConfig:
    base_url: str = "http://127.0.0.1"
    api_key: str | None = None
    timeout: Duration = attrs.field(default=30.0, converter=parse_duration)
    max_retries: int = 3
    models: tuple[ModelInfo, ...] = ()
    limits: Limits = attrs.field(factory=Limits)


def load(options: object) -> ExampleConfig:
    return load_options(ExampleConfig, options, connector="acme.llm.v1")  # type: ignore[arg-type]


def error_for(options: object) -> str:
    with pytest.raises(ConfigurationError) as caught:
        load(options)
    return str(caught.value)


def test_a_mapping_becomes_the_config_class():
    config = load(
        {
            "base_url": "https://api.acme.test",
            "max_retries": 5,
            "models": [{"id": "acme-1", "name": "Acme One"}],
            "limits": {"rpm": 10},
        }
    )
    assert config == ExampleConfig(
        base_url="https://api.acme.test",
        max_retries=5,
        models=(ModelInfo(id="acme-1", name="Acme One"),),
        limits=Limits(rpm=10),
    )


def test_none_gives_the_defaults():
    assert load(None) == ExampleConfig()


def test_an_instance_is_returned_unchanged():
    config = ExampleConfig(max_retries=1)
    assert load(config) is config


@pytest.mark.parametrize(
    ("written", "seconds"), [("30s", 30.0), ("500ms", 0.5), (2, 2.0), (1.5, 1.5), ("1m", 60.0)]
)
def test_durations_accept_numbers_and_units(written, seconds):
    assert load({"timeout": written}).timeout == seconds


def test_durations_in_nested_classes_are_parsed():
    assert load({"limits": {"window": "2m"}}).limits.window == 120.0


def test_a_duration_field_with_the_converter_accepts_units_in_python():
    assert ExampleConfig(timeout="250ms").timeout == 0.25  # type: ignore[arg-type]


def test_the_error_names_the_connector():
    assert "acme.llm.v1" in error_for({"max_retries": "3"})


def test_an_unknown_key_suggests_the_closest_valid_key():
    message = error_for({"timout": 5})
    assert "timout: unknown key 'timout' (did you mean 'timeout'?)" in message


def test_a_wrong_type_names_the_path_and_what_was_expected():
    assert "max_retries: expected a whole number, got '3'" in error_for({"max_retries": "3"})


def test_a_bad_duration_says_what_a_duration_looks_like():
    assert "timeout: expected a duration" in error_for({"timeout": "soon"})


def test_errors_inside_lists_of_classes_name_the_index():
    message = error_for({"models": [{"id": "ok", "name": "ok"}, {"id": "x", "nam": "y"}]})
    assert "models[1].name: this key is required" in message
    assert "models[1].nam: unknown key 'nam' (did you mean 'name'?)" in message


def test_every_problem_is_reported_at_once():
    message = error_for({"max_retries": "x", "timeout": "soon", "limits": {"rpm": 1.5}, "foo": 1})
    assert "max_retries:" in message
    assert "timeout:" in message
    assert "limits.rpm:" in message
    assert "foo: unknown key" in message


def test_a_value_under_a_secret_looking_key_is_never_echoed():
    message = error_for({"api_key": 424242424242})
    assert "424242424242" not in message
    assert "api_key:" in message


def test_options_that_are_not_a_mapping_are_refused():
    message = error_for("fast")
    assert "expected a mapping of options or a ExampleConfig instance, got a str" in message


def test_the_error_details_list_every_issue():
    with pytest.raises(ConfigurationError) as caught:
        load({"max_retries": "x", "foo": 1})
    assert caught.value.details["connector"] == "acme.llm.v1"
    assert sorted(issue["path"] for issue in caught.value.details["issues"]) == [
        "foo",
        "max_retries",
    ]


def test_a_lone_string_is_not_taken_for_a_list():
    assert "models: expected a list, got 'acme-1'" in error_for({"models": "acme-1"})
