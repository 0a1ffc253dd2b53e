"""Records handed to a Python callable."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from modelmesh.errors import ConfigurationError
from modelmesh_cdk.base.observability import (
    BaseObservability,
    BaseObservabilityConfig,
    plain_record,
)

Handler = Callable[[dict[str, Any]], object]
# The option of each channel's own callable, by record type.
CHANNEL_OPTIONS = {"event": "on_event", "log": "on_log", "stats": "on_stats", "trace": "on_trace"}


@attrs.frozen
class CallbackObservabilityConfig(BaseObservabilityConfig):
    """``callback`` takes every record; ``on_event``, ``on_log``, ``on_stats`` and
    ``on_trace`` take their channel's instead. Each is a callable (from Python) or a
    ``"package.module:function"`` string (from YAML)."""

    callback: Any = None
    on_event: Any = None
    on_log: Any = None
    on_stats: Any = None
    on_trace: Any = None


def resolve_callable(option: str, value: Any) -> Handler | None:
    """The callable an option names: itself, or the object a ``module:attribute``
    string imports; a clear ConfigurationError naming the option otherwise."""
    if value is None:
        return None
    if isinstance(value, str):
        module_name, colon, attribute = value.partition(":")
        if not colon or not module_name or not attribute:
            raise ConfigurationError(
                f"callback sink option {option}: {value!r} is not 'package.module:function'"
            )
        try:
            module = importlib.import_module(module_name)
        except Exception as error:
            raise ConfigurationError(
                f"callback sink option {option}: cannot import module {module_name!r} "
                f"({type(error).__name__}: {error})"
            ) from error
        found: Any = module
        for part in attribute.split("."):
            if not hasattr(found, part):
                raise ConfigurationError(
                    f"callback sink option {option}: module {module_name!r} has no {attribute!r}"
                )
            found = getattr(found, part)
        value = found
    if not callable(value):
        raise ConfigurationError(
            f"callback sink option {option}: expected a callable, got a {type(value).__name__}"
        )
    if inspect.iscoroutinefunction(value):
        raise ConfigurationError(
            f"callback sink option {option}: an async function cannot be called on the request "
            "path; give a plain function (it may hand the record to a queue or a task)"
        )
    result: Handler = value
    return result


class CallbackObservability(BaseObservability):
    """Hands each record, as the plain redacted dict of the record format (the same
    data a JSON-lines sink writes), to a Python callable.

    The callable runs on the request path, so it should be quick. An exception it raises
    never reaches the request: it is counted in ``write_errors`` and, per channel, in
    ``callback_errors``; ``last_error`` keeps the latest for inspection. A channel with
    no callable of its own and no ``callback`` is not delivered.
    """

    config_class = CallbackObservabilityConfig
    config: CallbackObservabilityConfig

    def __init__(
        self, config: CallbackObservabilityConfig | Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(config)
        fallback = resolve_callable("callback", self.config.callback)
        self._handlers: dict[str, Handler | None] = {}
        for kind, option in CHANNEL_OPTIONS.items():
            own = resolve_callable(option, getattr(self.config, option))
            self._handlers[kind] = own or fallback
        if not any(self._handlers.values()):
            raise ConfigurationError(
                "callback sink: give callback (every record) or at least one of "
                + ", ".join(CHANNEL_OPTIONS.values())
            )
        self.callback_errors = dict.fromkeys(CHANNEL_OPTIONS, 0)
        self.last_error: BaseException | None = None

    def _deliver(self, record: Mapping[str, Any]) -> None:
        kind = str(record.get("type"))
        handler = self._handlers.get(kind)
        if handler is None:
            return
        try:
            handler(plain_record(record))
        except Exception as error:
            self.callback_errors[kind] = self.callback_errors.get(kind, 0) + 1
            self.last_error = error
            raise
