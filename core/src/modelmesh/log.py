"""Structured logging for ModelMesh, with redaction built into the pipeline.

Loggers are structlog loggers wrapped around the stdlib ``modelmesh`` logger, so the
host application decides where records go (handlers, levels) while ModelMesh's own
processor chain, redaction included, always runs. Nothing here touches structlog's
global configuration: an application that configures structlog for itself is left
alone, and no call site has to remember to redact.
"""

from __future__ import annotations

import logging
import sys
from typing import IO, Any

import structlog

from modelmesh.redaction import redact

ROOT_LOGGER = "modelmesh"


def redact_processor(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: hide secrets by key name, recursively, and in URLs and text."""
    return redact(event_dict)


def _renderer(json: bool) -> Any:
    if json:
        return structlog.processors.JSONRenderer(sort_keys=True)
    return structlog.processors.KeyValueRenderer(
        key_order=["timestamp", "level", "logger", "event"], drop_missing=True
    )


def get_logger(name: str = ROOT_LOGGER, *, json: bool = False) -> Any:
    """Return a bound logger for ``name`` (a child of the ``modelmesh`` logger)."""
    if name != ROOT_LOGGER and not name.startswith(ROOT_LOGGER + "."):
        name = f"{ROOT_LOGGER}.{name}"
    return structlog.wrap_logger(
        logging.getLogger(name),
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_processor,
            _renderer(json),
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
    )


def configure_logging(level: str | int = "WARNING", *, stream: IO[str] | None = None) -> None:
    """Send ``modelmesh`` records at ``level`` and above to ``stream`` (stderr by default).

    Used by the command line; libraries embedding ModelMesh configure stdlib logging
    themselves. Calling it again replaces the handler instead of adding another.
    """
    root = logging.getLogger(ROOT_LOGGER)
    for handler in list(root.handlers):
        if getattr(handler, "_modelmesh_cli", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler._modelmesh_cli = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
