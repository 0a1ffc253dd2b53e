"""The logging pipeline always redacts, whatever the call site passes."""

from __future__ import annotations

import io
import json

from modelmesh.log import configure_logging, get_logger


def test_log_records_never_contain_secrets():
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)

    get_logger("test").info(
        "calling https://h/v1?key=AIza-topsecret",
        headers={"Authorization": "Bearer sk-topsecret"},
        config={"api_key": "sk-topsecret"},
    )

    out = stream.getvalue()
    assert "topsecret" not in out
    assert "calling" in out


def test_json_logs_are_one_object_per_line():
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)

    get_logger("json", json=True).warning("rotated", model="openai.gpt-4o")

    record = json.loads(stream.getvalue().strip())
    assert record["event"] == "rotated"
    assert record["level"] == "warning"
    assert record["logger"] == "modelmesh.json"


def test_records_below_the_level_are_dropped():
    stream = io.StringIO()
    configure_logging("WARNING", stream=stream)

    get_logger().info("quiet")

    assert stream.getvalue() == ""


def test_configuring_twice_does_not_duplicate_output():
    stream = io.StringIO()
    configure_logging("INFO", stream=io.StringIO())
    configure_logging("INFO", stream=stream)

    get_logger().info("once")

    assert stream.getvalue().count("once") == 1
