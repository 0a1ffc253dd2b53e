"""Observability base class, the standard sinks, and what sinks share: rendering,
colour tones, console streams and size-rotated JSON-lines files.

``BaseObservability`` turns each of the four channels into one record: it filters
(events by type, traces by severity, statistics by scope), renders the record with the
record type's own ``to_record`` at the configured log level, and hands it to
``_deliver``, which by default writes one redacted JSON line through ``_write``. A sink
overrides ``_write`` (it wants lines) or ``_deliver`` (it wants the record). Writing
must never break a request, so a failing delivery is counted in ``write_errors`` and
swallowed.
"""

from __future__ import annotations

import enum
import json
import os
import sys
import threading
from collections.abc import Mapping
from typing import IO, Any, ClassVar

import attrs

from modelmesh.errors import ConfigurationError
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
    "STREAMS",
    "BaseObservability",
    "BaseObservabilityConfig",
    "ConsoleObservability",
    "ConsoleObservabilityConfig",
    "FileObservability",
    "FileObservabilityConfig",
    "LineFile",
    "LineFileSettings",
    "LineStream",
    "NullObservability",
    "Tone",
    "plain_record",
    "render_json_line",
    "tone_of",
    "valid_stream",
]


def _stringify(value: Any) -> str:
    # An object JSON cannot hold is written as its text, redacted like any other text.
    return redact(str(value))


def render_json_line(record: Mapping[str, Any]) -> str:
    """One redacted JSON line, without the newline; ASCII-only so no character inside
    a string can be read as a line break."""
    return json.dumps(redact(dict(record)), default=_stringify)


def plain_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record exactly as a JSON-lines sink writes it, as plain data (dicts, lists,
    strings, numbers): redacted, and safe to keep or serialise again."""
    result: dict[str, Any] = json.loads(render_json_line(record))
    return result


class Tone(enum.Enum):
    """What a record means to a reader, for sinks that colour it."""

    SUCCESS = "success"
    FAILURE = "failure"
    WARNING = "warning"
    NOTICE = "notice"
    STATS = "stats"
    DEBUG = "debug"
    INFO = "info"
    CRITICAL = "critical"


_EVENT_TONES = {
    EventType.MODEL_ACTIVATED.value: Tone.SUCCESS,
    EventType.PROVIDER_RECOVERED.value: Tone.SUCCESS,
    EventType.MODEL_DEACTIVATED.value: Tone.FAILURE,
    EventType.PROVIDER_DEACTIVATED.value: Tone.FAILURE,
    EventType.MODEL_ROTATED.value: Tone.WARNING,
    EventType.PROVIDER_HEALTH_CHANGED.value: Tone.WARNING,
}
_SEVERITY_TONES = {
    Severity.DEBUG.value: Tone.DEBUG,
    Severity.INFO.value: Tone.INFO,
    Severity.WARNING.value: Tone.WARNING,
    Severity.ERROR.value: Tone.FAILURE,
    Severity.CRITICAL.value: Tone.CRITICAL,
}


def tone_of(record: Mapping[str, Any]) -> Tone:
    """The tone of a record by its kind: events by type, traces by severity, request
    logs by outcome (no status, a status of 400 or more, or an error is a failure)."""
    kind = record.get("type")
    if kind == "event":
        return _EVENT_TONES.get(record.get("event_type", ""), Tone.NOTICE)
    if kind == "trace":
        return _SEVERITY_TONES.get(record.get("severity", ""), Tone.INFO)
    if kind == "stats":
        return Tone.STATS
    if kind == "log":
        status = record.get("status_code")
        failed = not isinstance(status, int) or status >= 400 or bool(record.get("error"))
        return Tone.FAILURE if failed else Tone.SUCCESS
    return Tone.NOTICE


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
    """Formats, filters and redacts every record; subclasses override ``_write(line)``
    or ``_deliver(record)``.

    ``option_aliases`` maps other names of an option to the config field, so that the
    names other documents use load too; giving both names is an error.
    """

    config_class: ClassVar[type[BaseObservabilityConfig]] = BaseObservabilityConfig
    option_aliases: ClassVar[Mapping[str, str]] = {}

    def __init__(self, config: BaseObservabilityConfig | Mapping[str, Any] | None = None) -> None:
        name = type(self).__name__
        self.config = load_options(self.config_class, self._canonical(config, name), connector=name)
        self.write_errors = 0

    @classmethod
    def _canonical(cls, options: Any, name: str) -> Any:
        if not isinstance(options, Mapping) or not cls.option_aliases:
            return options
        result = dict(options)
        for alias, field in cls.option_aliases.items():
            if alias in result:
                if field in result:
                    raise ConfigurationError(
                        f"invalid options for connector {name}: {alias!r} and {field!r} name "
                        f"the same option; give only {field!r}",
                        details={"connector": name},
                    )
                result[field] = result.pop(alias)
        return result

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
        """Deliver one record; a subclass writing extra records calls this."""
        try:
            self._deliver(record)
        except Exception:
            self.write_errors += 1

    def _deliver(self, record: Mapping[str, Any]) -> None:
        """Hand one record on; the default writes its JSON line with ``_write``."""
        self._write(self._render(record))

    def _render(self, record: Mapping[str, Any]) -> str:
        return render_json_line(record)

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


# --- console streams -------------------------------------------------------------------

STREAMS = ("stderr", "stdout")
# One lock for the process's standard streams: lines of several sinks never interleave.
_STREAM_LOCK = threading.Lock()


def valid_stream(instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    """attrs validator of a ``stream`` option: ``stderr``, ``stdout`` (or None)."""
    if value is not None and value not in STREAMS:
        raise ValueError(f"expected stderr or stdout, got {value!r}")


class LineStream:
    """Whole lines to ``sys.stderr`` or ``sys.stdout``, looked up on each write so that a
    redirected stream is honoured; ``file`` replaces it (tests, embedding). Each line is
    flushed, so a reader sees it at once."""

    def __init__(self, name: str, file: IO[str] | None = None) -> None:
        if name not in STREAMS:
            raise ValueError(f"stream must be one of {', '.join(STREAMS)}, not {name!r}")
        self.name = name
        self._file = file

    @property
    def target(self) -> IO[str]:
        target: IO[str] = self._file or getattr(sys, self.name)
        return target

    def is_terminal(self) -> bool:
        """Whether the stream is a terminal (colour makes sense) and NO_COLOR is unset."""
        isatty = getattr(self.target, "isatty", None)
        return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")

    def write_line(self, line: str) -> None:
        with _STREAM_LOCK:
            target = self.target
            target.write(line + "\n")
            target.flush()


_ANSI_RESET = "\033[0m"
_ANSI = {
    Tone.SUCCESS: "\033[32m",
    Tone.FAILURE: "\033[31m",
    Tone.WARNING: "\033[33m",
    Tone.NOTICE: "\033[36m",
    Tone.STATS: "\033[35m",
    Tone.DEBUG: "\033[2m",
    Tone.INFO: "\033[34m",
    Tone.CRITICAL: "\033[1;31m",
}


@attrs.frozen
class ConsoleObservabilityConfig(BaseObservabilityConfig):
    """``stream`` is ``stderr`` or ``stdout``; ``use_color`` None colours a terminal only."""

    prefix: str = "[ModelMesh]"
    stream: str = attrs.field(default="stderr", validator=valid_stream)
    use_color: bool | None = None


class ConsoleObservability(BaseObservability):
    """Writes each record's JSON line to the console after a prefix, coloured by its
    tone; ``file=`` replaces the configured stream (tests, embedding)."""

    config_class = ConsoleObservabilityConfig
    config: ConsoleObservabilityConfig

    def __init__(
        self,
        config: ConsoleObservabilityConfig | Mapping[str, Any] | None = None,
        *,
        file: IO[str] | None = None,
    ) -> None:
        super().__init__(config)
        self.stream = LineStream(self.config.stream, file)

    def _colored(self) -> bool:
        use_color = self.config.use_color
        return self.stream.is_terminal() if use_color is None else use_color

    def _render(self, record: Mapping[str, Any]) -> str:
        line = super()._render(record)
        body = f"{_ANSI[tone_of(record)]}{line}{_ANSI_RESET}" if self._colored() else line
        return f"{self.config.prefix} {body}" if self.config.prefix else body

    def _write(self, line: str) -> None:
        self.stream.write_line(line)


# --- JSON-lines files ----------------------------------------------------------------


@attrs.frozen
class LineFileSettings:
    """A file of lines: ``max_bytes`` None never rotates; ``backups`` 0 keeps none."""

    path: str
    append: bool = True
    flush_each_line: bool = False
    max_bytes: int | None = None
    backups: int = 3


class LineFile:
    """Whole lines appended to one file, rotated by size; one object per path in the
    process, shared by every sink writing there, so that their lines never interleave
    and a rotation by one is seen by all.

    Get it with ``acquire`` and give it back with ``release``; the file opens on the
    first line, so a writer that never writes creates nothing. A line is written with
    one call under the lock, and rotation happens only between lines, so no line is
    lost or split. If a rotation fails (a rename refused), the line still goes to the
    current file and ``rotation_errors`` counts the failure.
    """

    _shared: ClassVar[dict[str, LineFile]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, settings: LineFileSettings, key: str) -> None:
        self.settings = settings
        self._key = key
        self._users = 0
        self._file: IO[bytes] | None = None
        self._size = 0
        self._started = False
        self._lock = threading.Lock()
        self.rotation_errors = 0

    @classmethod
    def acquire(cls, settings: LineFileSettings) -> LineFile:
        """The writer of ``settings.path``; a second sink on the same path must give the
        same settings, since one file cannot rotate two ways."""
        key = os.path.abspath(settings.path)
        with cls._shared_lock:
            shared = cls._shared.get(key)
            if shared is None:
                shared = cls._shared[key] = cls(settings, key)
            elif attrs.evolve(shared.settings, path=settings.path) != settings:
                raise ConfigurationError(
                    f"{settings.path} is already written by another sink with other file "
                    "options (append, flush_each_line, max_bytes, backups); give every sink "
                    "writing one file the same options"
                )
            shared._users += 1
            return shared

    def release(self) -> None:
        """Give the writer back; the last user closes the file."""
        with self._shared_lock:
            self._users -= 1
            if self._users > 0:
                return
            if self._shared.get(self._key) is self:
                del self._shared[self._key]
        with self._lock:
            self._close_file()

    def write_line(self, line: str) -> None:
        data = (line + "\n").encode("utf-8")
        with self._lock:
            file = self._open()
            limit = self.settings.max_bytes
            if limit is not None and self._size > 0 and self._size + len(data) > limit:
                try:
                    self._rotate()
                except OSError:
                    self.rotation_errors += 1
                file = self._open()
            file.write(data)
            self._size += len(data)
            if self.settings.flush_each_line:
                file.flush()

    def _open(self) -> IO[bytes]:
        if self._file is None:
            path = self.settings.path
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            # Only the first open may truncate; reopening after a rotation appends.
            mode = "ab" if self.settings.append or self._started else "wb"
            self._file = open(path, mode)  # noqa: SIM115 - kept open across writes
            self._size = self._file.tell()
            self._started = True
        return self._file

    def _rotate(self) -> None:
        self._close_file()
        path, count = self.settings.path, self.settings.backups
        if not os.path.exists(path):
            return  # removed from outside: nothing to keep
        if count == 0:
            os.remove(path)
            return
        for index in range(count - 1, 0, -1):
            older = f"{path}.{index}"
            if os.path.exists(older):
                os.replace(older, f"{path}.{index + 1}")
        os.replace(path, f"{path}.1")

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


@attrs.frozen
class FileObservabilityConfig(BaseObservabilityConfig):
    """JSON lines at ``path``; past ``max_bytes`` the file is renamed to ``.1`` (older
    backups shift to ``.2`` ... ``.backups``) and a new one begun."""

    path: str = "modelmesh.log"
    append: bool = True
    flush_each_line: bool = False
    max_bytes: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(1))
    )
    backups: int = attrs.field(default=3, validator=attrs.validators.ge(0))


class FileObservability(BaseObservability):
    """Appends JSON lines to a file, rotating it by size; safe across threads and across
    sinks writing the same file. The names ``file_path``, ``max_file_size_bytes`` and
    ``backup_count`` are accepted for ``path``, ``max_bytes`` and ``backups``."""

    config_class = FileObservabilityConfig
    config: FileObservabilityConfig
    option_aliases = {
        "file_path": "path",
        "max_file_size_bytes": "max_bytes",
        "backup_count": "backups",
    }

    def __init__(self, config: FileObservabilityConfig | Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        options = self.config
        self.file: LineFile | None = LineFile.acquire(
            LineFileSettings(
                path=options.path,
                append=options.append,
                flush_each_line=options.flush_each_line,
                max_bytes=options.max_bytes,
                backups=options.backups,
            )
        )

    def _write(self, line: str) -> None:
        if self.file is None:
            raise RuntimeError("the sink is closed")
        self.file.write_line(line)

    async def close(self) -> None:
        file, self.file = self.file, None
        if file is not None:
            file.release()
