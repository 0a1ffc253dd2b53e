"""Coloured, human-readable records on the terminal."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from rich.color import ColorSystem
from rich.style import Style

from modelmesh_cdk.base import observability as kit
from modelmesh_cdk.base.observability import Tone, plain_record, tone_of

_STYLES = {
    Tone.SUCCESS: Style.parse("green"),
    Tone.FAILURE: Style.parse("red"),
    Tone.WARNING: Style.parse("yellow"),
    Tone.NOTICE: Style.parse("cyan"),
    Tone.STATS: Style.parse("magenta"),
    Tone.DEBUG: Style.parse("dim"),
    Tone.INFO: Style.parse("blue"),
    Tone.CRITICAL: Style.parse("bold red"),
}
_QUIET = Style.parse("dim")
# What the headline of each kind already says, so it is not repeated as key=value.
_SHOWN = {
    "event": {"type", "timestamp", "event_type", "metadata"},
    "log": {"type", "timestamp", "request_id", "status_code", "latency_ms"},
    "stats": {"type", "scope_id"},
    "trace": {"type", "timestamp", "severity", "component", "message", "metadata"},
}
_SHORT_NAMES = {"model_id": "model", "provider_id": "provider", "pool_id": "pool"}


def _clean(text: str) -> str:
    """Escape what is not printable (line breaks, NUL, separators), so a record stays
    on one line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _value(value: Any) -> str:
    if isinstance(value, str):
        if not value or any(c.isspace() or c in '="' or not c.isprintable() for c in value):
            return _clean(json.dumps(value, ensure_ascii=False))
        return value
    if isinstance(value, dict | list):
        return _clean(json.dumps(value, ensure_ascii=False))
    return str(value)


def _headline(record: Mapping[str, Any]) -> tuple[str, str]:
    """The label and the main words of a record."""
    kind = record.get("type")
    if kind == "event":
        return "EVENT", _value(record.get("event_type"))
    if kind == "log":
        status = record.get("status_code")
        outcome = "no status" if status is None else str(status)
        request = _value(record.get("request_id"))
        return "REQUEST", f"{request} {outcome} {record.get('latency_ms')}ms"
    if kind == "stats":
        return "STATS", _value(record.get("scope_id"))
    if kind == "trace":
        label = str(record.get("severity", "trace")).upper()
        return label, f"{_value(record.get('component'))}: {_clean(str(record.get('message')))}"
    return str(kind).upper(), ""


def _fields(record: Mapping[str, Any]) -> Iterator[str]:
    """``key=value`` for what the headline leaves out; nulls and zeros of statistics
    are left out too."""
    kind = record.get("type")
    shown = _SHOWN.get(str(kind), {"type"})
    extra = {k: v for k, v in record.items() if k not in shown}
    if "metadata" in shown and isinstance(record.get("metadata"), dict):
        extra.update(record["metadata"])
    for key, value in extra.items():
        if value is None or value in ({}, []) or (kind == "stats" and value == 0):
            continue
        yield f"{_clean(_SHORT_NAMES.get(key, str(key)))}={_value(value)}"


def render_line(record: Mapping[str, Any], *, prefix: str, color: bool) -> str:
    """One human-readable line: prefix, time, label, headline, then ``key=value``; the
    label and headline coloured by the record's tone when ``color`` is set."""
    record = plain_record(record)
    label, headline = _headline(record)
    style = _STYLES[tone_of(record)]
    timestamp = record.get("timestamp")

    def paint(text: str, with_style: Style) -> str:
        return with_style.render(text, color_system=ColorSystem.STANDARD) if color else text

    parts = [paint(prefix, _QUIET)] if prefix else []
    if timestamp:
        parts.append(paint(_clean(str(timestamp)), _QUIET))
    parts.append(paint(f"{label} {headline}".rstrip(), style))
    parts.extend(_fields(record))
    return " ".join(parts)


class ConsoleObservability(kit.ConsoleObservability):
    """Prints each record as one readable line (``prefix``, time, what happened, then
    ``key=value``), coloured with rich by kind, severity and outcome: activations,
    recoveries and successful requests green; deactivations, errors and failed requests
    red; rotations, health changes and warnings yellow; statistics magenta.

    ``use_color`` None colours a terminal only (and never when ``NO_COLOR`` is set);
    ``stream`` is ``stderr`` or ``stdout``, looked up at each write; ``file=`` replaces
    it. Lines of several sinks and threads never interleave; a failing write is counted
    in ``write_errors``, never raised.
    """

    def _deliver(self, record: Mapping[str, Any]) -> None:
        line = render_line(record, prefix=self.config.prefix, color=self._colored())
        self.stream.write_line(line)
