"""The stored form of the state: one JSON document with a ``version``.

Reading is strict: a field of the wrong type, an unknown status or an unknown version
raises StateError naming the storage key and the field, because guessing would let a
corrupt entry reset cooldowns and quota counts without anyone noticing.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from modelmesh.interfaces.rotation import DeactivationReason, ModelStatus
from modelmesh.state.errors import StateError
from modelmesh.state.records import (
    DEFAULT_ERROR_RATE_WINDOW,
    LATENCY_HISTORY,
    ModelState,
    PoolState,
    ProviderState,
    SystemState,
    UsageCounter,
)

__all__ = ["CONTENT_TYPE", "FORMAT_VERSION", "decode_state", "encode_state"]

FORMAT_VERSION = 1
CONTENT_TYPE = "application/vnd.modelmesh.state+json"

T = TypeVar("T")


def encode_state(state: SystemState) -> bytes:
    """The whole state as UTF-8 JSON, keys sorted so equal states give equal bytes."""
    document = {
        "version": FORMAT_VERSION,
        "saved_at": _time(state.saved_at),
        "saved_by": state.saved_by,
        "models": {key: _model(record) for key, record in state.models.items()},
        "providers": {key: _provider(record) for key, record in state.providers.items()},
        "pools": {key: _pool(record) for key, record in state.pools.items()},
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def decode_state(
    data: bytes, key: str, *, error_rate_window: int = DEFAULT_ERROR_RATE_WINDOW
) -> SystemState:
    """Read what ``encode_state`` wrote; StateError naming ``key`` when it cannot."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StateError(
            key, f"is not valid JSON state ({exc}); fix or delete the entry to start afresh"
        ) from exc
    reader = _Reader(key, error_rate_window)
    root = reader.mapping(document, "the document")
    version = root.get("version")
    if version != FORMAT_VERSION:
        raise StateError(
            key,
            f"has format version {version!r}, this ModelMesh reads version {FORMAT_VERSION}: "
            "upgrade ModelMesh, or delete the entry to start afresh",
        )
    return SystemState(
        models=reader.records(root, "models", reader.model),
        providers=reader.records(root, "providers", reader.provider),
        pools=reader.records(root, "pools", reader.pool),
        saved_at=reader.time(root.get("saved_at"), "saved_at"),
        saved_by=reader.optional(root.get("saved_by"), "saved_by", str),
    )


# --- writing ---------------------------------------------------------------------------


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _counter(counter: UsageCounter) -> dict[str, Any]:
    return {
        "period": counter.period,
        "requests": counter.requests,
        "tokens": counter.tokens,
        "cost": counter.cost,
    }


def _model(record: ModelState) -> dict[str, Any]:
    reason = record.deactivation_reason
    return {
        "model_id": record.model_id,
        "provider_id": record.provider_id,
        "status": record.status.value,
        "deactivation_reason": None if reason is None else reason.value,
        "deactivated_at": _time(record.deactivated_at),
        "cooldown_until": _time(record.cooldown_until),
        "failure_count": record.failure_count,
        "outcomes": list(record.outcomes),
        "total_requests": record.total_requests,
        "total_failures": record.total_failures,
        "total_tokens": record.total_tokens,
        "total_cost": record.total_cost,
        "daily": _counter(record.daily),
        "monthly": _counter(record.monthly),
        "latency_history": list(record.latency_history),
        "last_request": _time(record.last_request),
        "last_failure": _time(record.last_failure),
        "changed_at": _time(record.changed_at),
        "status_changed_at": _time(record.status_changed_at),
    }


def _provider(record: ProviderState) -> dict[str, Any]:
    return {
        "provider_id": record.provider_id,
        "available": record.available,
        "deactivation_reason": record.deactivation_reason,
        "deactivated_at": _time(record.deactivated_at),
        "auth_valid": record.auth_valid,
        "last_probe": _time(record.last_probe),
        "availability_score": record.availability_score,
        "consecutive_failures": record.consecutive_failures,
        "daily": _counter(record.daily),
        "monthly": _counter(record.monthly),
        "changed_at": _time(record.changed_at),
        "status_changed_at": _time(record.status_changed_at),
    }


def _pool(record: PoolState) -> dict[str, Any]:
    return {
        "pool_id": record.pool_id,
        "current_model": record.current_model,
        "rotation_count": record.rotation_count,
        "last_rotation": _time(record.last_rotation),
    }


# --- reading ---------------------------------------------------------------------------


class _Reader:
    """Checks each field as it reads it, so an error can say which one is wrong."""

    def __init__(self, key: str, error_rate_window: int) -> None:
        self.key = key
        self.error_rate_window = error_rate_window

    def fail(self, where: str, problem: str) -> StateError:
        return StateError(self.key, f"{where} {problem}; fix or delete the entry to start afresh")

    def mapping(self, value: object, where: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a JSON object, not {type(value).__name__}")
        return value

    def records(
        self,
        root: Mapping[str, Any],
        name: str,
        read: Callable[[Mapping[str, Any], str], T],
    ) -> dict[str, T]:
        found = self.mapping(root.get(name, {}), name)
        return {
            record_id: read(self.mapping(body, f"{name}[{record_id!r}]"), f"{name}[{record_id!r}]")
            for record_id, body in found.items()
        }

    def field(self, body: Mapping[str, Any], where: str, name: str, kind: type[T]) -> T:
        if name not in body:
            raise self.fail(f"{where}.{name}", "is missing")
        return self.typed(body[name], f"{where}.{name}", kind)

    def typed(self, value: object, where: str, kind: type[Any]) -> Any:
        # bool is an int in Python but never a count in the document.
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise self.fail(where, f"must be {kind.__name__}, not {value!r}")
        if kind in (int, float) and value < 0:
            raise self.fail(where, f"must not be negative, not {value!r}")
        return value

    def optional(self, value: object, where: str, kind: type[T]) -> T | None:
        return None if value is None else self.typed(value, where, kind)

    def time(self, value: object, where: str) -> datetime | None:
        text = self.optional(value, where, str)
        if text is None:
            return None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise self.fail(where, f"is not an ISO 8601 time: {text!r}") from None
        if parsed.tzinfo is None:
            raise self.fail(where, f"has no time zone: {text!r}")
        return parsed

    def times(self, body: Mapping[str, Any], where: str, *names: str) -> dict[str, Any]:
        return {name: self.time(body.get(name), f"{where}.{name}") for name in names}

    def counter(self, body: Mapping[str, Any], where: str, name: str) -> UsageCounter:
        where = f"{where}.{name}"
        counter = self.mapping(body.get(name), where)
        return UsageCounter(
            period=self.field(counter, where, "period", str),
            requests=self.field(counter, where, "requests", int),
            tokens=self.field(counter, where, "tokens", int),
            cost=self.field(counter, where, "cost", float),
        )

    def items(self, body: Mapping[str, Any], where: str, name: str, kind: type[T]) -> list[T]:
        values = self.field(body, where, name, list)
        return [self.typed(v, f"{where}.{name}[{i}]", kind) for i, v in enumerate(values)]

    def model(self, body: Mapping[str, Any], where: str) -> ModelState:
        status = self.field(body, where, "status", str)
        reason = self.optional(body.get("deactivation_reason"), f"{where}.deactivation_reason", str)
        return ModelState(
            model_id=self.field(body, where, "model_id", str),
            provider_id=self.field(body, where, "provider_id", str),
            status=self.enum(ModelStatus, status, f"{where}.status"),
            deactivation_reason=(
                None
                if reason is None
                else self.enum(DeactivationReason, reason, f"{where}.deactivation_reason")
            ),
            failure_count=self.field(body, where, "failure_count", int),
            outcomes=deque(
                self.items(body, where, "outcomes", bool), maxlen=self.error_rate_window
            ),
            total_requests=self.field(body, where, "total_requests", int),
            total_failures=self.field(body, where, "total_failures", int),
            total_tokens=self.field(body, where, "total_tokens", int),
            total_cost=self.field(body, where, "total_cost", float),
            daily=self.counter(body, where, "daily"),
            monthly=self.counter(body, where, "monthly"),
            latency_history=deque(
                self.items(body, where, "latency_history", float), maxlen=LATENCY_HISTORY
            ),
            **self.times(
                body,
                where,
                "deactivated_at",
                "cooldown_until",
                "last_request",
                "last_failure",
                "changed_at",
                "status_changed_at",
            ),
        )

    def provider(self, body: Mapping[str, Any], where: str) -> ProviderState:
        return ProviderState(
            provider_id=self.field(body, where, "provider_id", str),
            available=self.field(body, where, "available", bool),
            deactivation_reason=self.optional(
                body.get("deactivation_reason"), f"{where}.deactivation_reason", str
            ),
            auth_valid=self.field(body, where, "auth_valid", bool),
            availability_score=self.field(body, where, "availability_score", float),
            consecutive_failures=self.field(body, where, "consecutive_failures", int),
            daily=self.counter(body, where, "daily"),
            monthly=self.counter(body, where, "monthly"),
            **self.times(
                body, where, "deactivated_at", "last_probe", "changed_at", "status_changed_at"
            ),
        )

    def pool(self, body: Mapping[str, Any], where: str) -> PoolState:
        return PoolState(
            pool_id=self.field(body, where, "pool_id", str),
            current_model=self.optional(body.get("current_model"), f"{where}.current_model", str),
            rotation_count=self.field(body, where, "rotation_count", int),
            last_rotation=self.time(body.get("last_rotation"), f"{where}.last_rotation"),
        )

    def enum(self, kind: type[Any], value: str, where: str) -> Any:
        try:
            return kind(value)
        except ValueError:
            known = ", ".join(member.value for member in kind)
            raise self.fail(where, f"is {value!r}, not one of {known}") from None
