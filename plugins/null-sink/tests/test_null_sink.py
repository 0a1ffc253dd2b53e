"""The null sink keeps nothing yet takes the options every sink shares."""

from __future__ import annotations

import asyncio

import pytest

from modelmesh.errors import ConfigurationError
from modelmesh_cdk.testing.suites.observability import EVENT, LOG, STATS, TRACE
from modelmesh_plugin_null_sink.connector import NullSinkObservability


def test_every_channel_is_discarded_without_writing():
    sink = NullSinkObservability()
    written: list[str] = []
    sink._write = written.append  # type: ignore[method-assign]

    sink.emit(EVENT)
    sink.log(LOG)
    sink.flush(STATS)
    sink.trace(TRACE)
    asyncio.run(sink.close())

    assert written == []
    assert sink.write_errors == 0


def test_the_shared_sink_options_are_accepted():
    sink = NullSinkObservability(
        {"log_level": "full", "min_severity": "debug", "event_filter": ["model_rotated"]}
    )

    assert sink.config.min_severity.value == "debug"


def test_an_unknown_option_is_refused():
    with pytest.raises(ConfigurationError, match="file_path"):
        NullSinkObservability({"file_path": "records.jsonl"})
