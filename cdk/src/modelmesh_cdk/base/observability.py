"""Observability base class and the standard sinks: console, JSON-lines file, null.

``BaseObservability`` turns each of the four channels into one JSON line: it filters
(events by type, traces by severity, statistics by scope), renders the record with the
record type's own ``to_record`` at the configured log level, redacts once more as a
last safety net, and hands the line to ``_write``. A sink overrides ``_write`` only.
Writing must never break a request, so a failing ``_write`` is counted in
``write_errors`` and swallowed.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Mapping
from typing import IO, Any, ClassVar

import attrs

from modelmesh.interfaces.observability import (
    AggregateStats,
    EventType,
    LogLevel,
    ObservabilityConnector,
    RequestLogEntry,
    RoutingEvent,
    Severity,
    TraceEntry,
)
from modelmesh.redaction import redact
from modelmesh_cdk.options import Duration, load_options, parse_duration

__all__ = [
    "BaseObservability",
    "BaseObservabilityConfig",
    "ConsoleObservability",
    "ConsoleObservabilityConfig",
    "FileObservability",
    "FileObservabilityConfig",
    "NullObservability",
]


def _event_types(value: Any) -> tuple[EventType, ...] | None:
    return None if value is None else tuple(EventType(item) for item in value)


def _scopes(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def _always_on(instance: Any, attribute: attrs.Attribute[bool], value: bool) -> None:
    if value is not True:
        raise ValueError(
            "redaction cannot be switched off: secrets never reach a sink; "
            "remove redact_secrets or set it to true"
        )


@attrs.frozen
class BaseObservabilityConfig:
    """Options every sink shares.

    ``event_filter`` lists the event types written (None: all); ``scopes`` lists the
    statistics scopes written, ``model`` matching ``model.<id>`` (None: all);
    ``flush_interval_seconds`` is how often the mesh flushes statistics to the sink.
    """

    event_filter: tuple[EventType, ...] | None = attrs.field(default=None, converter=_event_types)
    log_level: LogLevel = attrs.field(default=LogLevel.METADATA, converter=LogLevel)
    min_severity: Severity = attrs.field(default=Severity.INFO, converter=Severity)
    redact_secrets: bool = attrs.field(default=True, validator=_always_on)
    flush_interval_seconds: Duration = attrs.field(default=60.0, converter=parse_duration)
    scopes: tuple[str, ...] | None = attrs.field(default=None, converter=_scopes)


class BaseObservability(ObservabilityConnector):
    """Formats, filters and redacts every record; subclasses override ``_write(line)``."""

    config_class: ClassVar[type[BaseObservabilityConfig]] = BaseObservabilityConfig

    def __init__(self, config: BaseObservabilityConfig | Mapping[str, Any] | None = None) -> None:
        self.config = load_options(self.config_class, config, connector=type(self).__name__)
        self.write_errors = 0

    def emit(self, event: RoutingEvent) -> None:
        allowed = self.config.event_filter
        if allowed is None or event.event_type in allowed:
            self._write_record(event.to_record())

    def log(self, entry: RequestLogEntry) -> None:
        self._write_record(entry.to_record(self.config.log_level))

    def flush(self, stats: Mapping[str, AggregateStats]) -> None:
        for scope_id, scope_stats in stats.items():
            if self._in_scope(scope_id):
                self._write_record(scope_stats.to_record(scope_id))

    def trace(self, entry: TraceEntry) -> None:
        if entry.severity >= self.config.min_severity:
            self._write_record(entry.to_record())

    def _in_scope(self, scope_id: str) -> bool:
        scopes = self.config.scopes
        return scopes is None or any(
            scope_id == scope or scope_id.startswith(f"{scope}.") for scope in scopes
        )

    def _write_record(self, record: Mapping[str, Any]) -> None:
        """Render and write one record; a subclass writing extra records calls this."""
        try:
            self._write(self._render(record))
        except Exception:
            self.write_errors += 1

    def _render(self, record: Mapping[str, Any]) -> str:
        """One JSON line, without the newline; ASCII-only so no character inside a
        string can be read as a line break."""
        return json.dumps(redact(dict(record)), default=str)

    def _write(self, line: str) -> None:
        """Deliver one line; the base class discards it."""


class NullObservability(BaseObservability):
    """Discards everything, without even formatting it: the default sink."""

    def emit(self, event: RoutingEvent) -> None:
        pass

    def log(self, entry: RequestLogEntry) -> None:
        pass

    def flush(self, stats: Mapping[str, AggregateStats]) -> None:
        pass

    def trace(self, entry: TraceEntry) -> None:
        pass


_RESET = "\033[0m"
_GREEN, _RED, _YELLOW, _BLUE, _MAGENTA, _CYAN, _DIM = (
    "\033[32m",
    "\033[31m",
    "\033[33m",
    "\033[34m",
    "\033[35m",
    "\033[36m",
    "\033[2m",
)
_EVENT_COLORS = {
    EventType.MODEL_ACTIVATED.value: _GREEN,
    EventType.PROVIDER_RECOVERED.value: _GREEN,
    EventType.MODEL_DEACTIVATED.value: _RED,
    EventType.PROVIDER_DEACTIVATED.value: _RED,
    EventType.MODEL_ROTATED.value: _YELLOW,
    EventType.PROVIDER_HEALTH_CHANGED.value: _YELLOW,
}
_SEVERITY_COLORS = {
    Severity.DEBUG.value: _DIM,
    Severity.INFO.value: _BLUE,
    Severity.WARNING.value: _YELLOW,
    Severity.ERROR.value: _RED,
    Severity.CRITICAL.value: "\033[1;31m",
}


def _color_of(record: Mapping[str, Any]) -> str:
    kind = record.get("type")
    if kind == "event":
        return _EVENT_COLORS.get(record.get("event_type", ""), _CYAN)
    if kind == "trace":
        return _SEVERITY_COLORS.get(record.get("severity", ""), "")
    if kind == "stats":
        return _MAGENTA
    return ""


@attrs.frozen
class ConsoleObservabilityConfig(BaseObservabilityConfig):
    """``stream`` is ``stderr`` or ``stdout``; ``use_color`` None colours a terminal only."""

    prefix: str = "[ModelMesh]"
    stream: str = attrs.field(
        default="stderr", validator=attrs.validators.in_(("stderr", "stdout"))
    )
    use_color: bool | None = None


class ConsoleObservability(BaseObservability):
    """Writes each record to the console after a prefix, coloured by event type and
    severity; ``file=`` replaces the configured stream (tests, embedding)."""

    config_class = ConsoleObservabilityConfig
    config: ConsoleObservabilityConfig

    def __init__(
        self,
        config: ConsoleObservabilityConfig | Mapping[str, Any] | None = None,
        *,
        file: IO[str] | None = None,
    ) -> None:
        super().__init__(config)
        self._file = file

    def _stream(self) -> IO[str]:
        # Looked up on each write, so a redirected sys.stderr is honoured.
        return self._file or getattr(sys, self.config.stream)

    def _render(self, record: Mapping[str, Any]) -> str:
        line = super()._render(record)
        use_color = self.config.use_color
        if use_color is None:
            use_color = bool(getattr(self._stream(), "isatty", lambda: False)())
        color = _color_of(record) if use_color else ""
        body = f"{color}{line}{_RESET}" if color else line
        return f"{self.config.prefix} {body}" if self.config.prefix else body

    def _write(self, line: str) -> None:
        self._stream().write(line + "\n")


@attrs.frozen
class FileObservabilityConfig(BaseObservabilityConfig):
    """JSON lines at ``file_path``; past ``max_file_size_bytes`` the file is renamed to
    ``.1`` (older backups shift to ``.2`` ... ``.backup_count``) and a new one begun."""

    file_path: str = "modelmesh.log"
    append: bool = True
    flush_each_line: bool = False
    max_file_size_bytes: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(1))
    )
    backup_count: int = attrs.field(default=3, validator=attrs.validators.ge(0))


class FileObservability(BaseObservability):
    """Appends JSON lines to a file, rotating it by size; safe across threads.

    The file opens on the first record, so a sink that never writes creates nothing.
    Lines go through the file's buffer unless ``flush_each_line`` is set.
    """

    config_class = FileObservabilityConfig
    config: FileObservabilityConfig

    def __init__(self, config: FileObservabilityConfig | Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self._file: IO[bytes] | None = None
        self._size = 0
        self._started = False
        self._lock = threading.Lock()

    def _write(self, line: str) -> None:
        data = (line + "\n").encode("utf-8")
        with self._lock:
            limit = self.config.max_file_size_bytes
            if limit is not None and self._size > 0 and self._size + len(data) > limit:
                self._rotate()
            file = self._open()
            file.write(data)
            self._size += len(data)
            if self.config.flush_each_line:
                file.flush()

    def _open(self) -> IO[bytes]:
        if self._file is None:
            path = self.config.file_path
            directory = os.path.dirname(os.path.abspath(path))
            os.makedirs(directory, exist_ok=True)
            # Only the first open may truncate; reopening after a rotation appends.
            mode = "ab" if self.config.append or self._started else "wb"
            self._file = open(path, mode)  # noqa: SIM115 - kept open across writes
            self._size = self._file.tell() if mode == "ab" else 0
            self._started = True
        return self._file

    def _rotate(self) -> None:
        self._close_file()
        path = self.config.file_path
        count = self.config.backup_count
        if not os.path.exists(path):
            pass  # removed from outside: nothing to keep
        elif count == 0:
            os.remove(path)
        else:
            for index in range(count - 1, 0, -1):
                older = f"{path}.{index}"
                if os.path.exists(older):
                    os.replace(older, f"{path}.{index + 1}")
            os.replace(path, f"{path}.1")
        self._size = 0

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    async def close(self) -> None:
        with self._lock:
            self._close_file()
