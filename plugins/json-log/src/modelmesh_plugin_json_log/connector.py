"""One JSON object per record, to a file or a stream."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

import attrs

from modelmesh_cdk.base.observability import (
    BaseObservability,
    BaseObservabilityConfig,
    LineFile,
    LineFileSettings,
    LineStream,
    valid_stream,
)

DEFAULT_PATH = "modelmesh-events.jsonl"


@attrs.frozen
class JsonLogObservabilityConfig(BaseObservabilityConfig):
    """Records go to ``stream`` (``stdout`` or ``stderr``) when it is set, otherwise to
    the file at ``path`` (default ``modelmesh-events.jsonl``)."""

    path: str | None = None
    stream: str | None = attrs.field(default=None, validator=valid_stream)
    append: bool = True
    flush_each_line: bool = True

    def __attrs_post_init__(self) -> None:
        if self.path is not None and self.stream is not None:
            raise ValueError("give either path (a file) or stream (stdout, stderr), not both")


class JsonLogObservability(BaseObservability):
    """Writes each record as one redacted JSON line for log shippers (Fluent Bit,
    Vector, Promtail, a container runtime reading stdout): the same records as the file
    sink, flushed line by line so that a shipper tailing the output sees each at once.

    A file is shared with every other sink writing the same path in the process, so
    lines never interleave; ``file=`` replaces the configured stream (tests, embedding).
    """

    config_class = JsonLogObservabilityConfig
    config: JsonLogObservabilityConfig
    option_aliases = {"file_path": "path"}

    def __init__(
        self,
        config: JsonLogObservabilityConfig | Mapping[str, Any] | None = None,
        *,
        file: IO[str] | None = None,
    ) -> None:
        super().__init__(config)
        options = self.config
        use_stream = options.stream is not None or file is not None
        self.stream = LineStream(options.stream or "stdout", file) if use_stream else None
        self.file: LineFile | None = None
        if self.stream is None:
            self.file = LineFile.acquire(
                LineFileSettings(
                    path=options.path or DEFAULT_PATH,
                    append=options.append,
                    flush_each_line=options.flush_each_line,
                )
            )
        self._closed = False

    def _write(self, line: str) -> None:
        if self._closed:
            raise RuntimeError("the sink is closed")
        if self.stream is not None:
            self.stream.write_line(line)
        elif self.file is not None:
            self.file.write_line(line)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.file is not None:
            self.file.release()
