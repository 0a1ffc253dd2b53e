"""Turning a connector's options mapping into its attrs config class.

The core registry builds every connector as ``Implementation(options_dict)``, so each
base class receives a plain mapping and must reject bad options before doing anything
else. ``load_options`` does that with the configuration schema's own converter, so a
connector's options follow exactly the rules of the YAML file they came from: strict
leaves, unknown keys refused with the closest valid key, every problem reported at
once, and no value shown whose key looks secret.

Durations: annotate a field with ``Duration`` and its option accepts a number of
seconds or a string such as ``"30s"`` or ``"500ms"``; the field holds float seconds.
Add ``converter=parse_duration`` (``attrs.field(default=30.0, converter=parse_duration)``)
when the class is also built directly in Python, so that ``Config(timeout="30s")``
converts too.

Lists: annotate them ``tuple[X, ...]``; a tuple field refuses a lone string, whereas
a ``list[str]`` field would split ``"chat"`` into characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from modelmesh.config.converter import structure
from modelmesh.config.durations import Duration, parse_duration
from modelmesh.config.issues import IssueLog
from modelmesh.errors import ConfigurationError

__all__ = ["Duration", "load_options", "parse_duration"]

T = TypeVar("T")


def load_options(
    config_cls: type[T], options: T | Mapping[str, Any] | None, *, connector: str
) -> T:
    """Return ``options`` as a ``config_cls`` instance.

    An instance is returned as is, None gives the defaults, a mapping is structured.
    Raises ConfigurationError naming the connector and listing every bad key path with
    what was expected (and, for an unknown key, the closest valid one).
    """
    if isinstance(options, config_cls):
        return options
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        raise ConfigurationError(
            f"invalid options for connector {connector}: expected a mapping of options "
            f"or a {config_cls.__name__} instance, got a {type(options).__name__}",
            details={"connector": connector},
        )
    log = IssueLog()
    result = structure(options, config_cls, log)
    if result is None or log.issues:
        raise ConfigurationError(
            f"invalid options for connector {connector}:\n"
            + "\n".join(f"  {issue.path or '(options)'}: {issue.message}" for issue in log.issues),
            details={
                "connector": connector,
                "issues": [{"path": issue.path, "message": issue.message} for issue in log.issues],
            },
        )
    return result
