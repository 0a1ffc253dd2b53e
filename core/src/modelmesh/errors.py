"""The ModelMesh error hierarchy.

Every error ModelMesh raises on purpose derives from ModelMeshError, so callers can
catch one class. Messages say what was wrong, where, and what to do; they never carry
secret values.
"""

from __future__ import annotations

from typing import Any


class ModelMeshError(Exception):
    """Base of every ModelMesh error."""

    retryable: bool = False

    def __init__(
        self, message: str, *, details: dict[str, Any] | None = None, retryable: bool | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        return self.message


class ConfigurationError(ModelMeshError):
    """The configuration, or a connector's options, cannot be used as given."""


class ConnectorNotFoundError(ModelMeshError, KeyError):
    """No connector is registered or installed under the requested ID."""

    def __init__(self, connector_id: str, message: str, *, install_hint: str | None = None) -> None:
        super().__init__(message, details={"connector_id": connector_id})
        self.connector_id = connector_id
        self.install_hint = install_hint

    def __str__(self) -> str:
        # KeyError would repr() the message; keep it readable.
        return self.message


class DuplicateConnectorError(ModelMeshError, ValueError):
    """A connector ID was registered twice for the same connector type."""


class InvalidConnectorIdError(ModelMeshError, ValueError):
    """A string does not follow the connector ID convention."""


class PluginLoadError(ModelMeshError):
    """An installed plugin could not be loaded: its import or hook failed, it did not
    register what its entry point promised, or two distributions claim one ID."""


class PackageError(ModelMeshError):
    """A connector package (directory, zip or URL) was refused or failed to load."""


class ProviderError(ModelMeshError):
    """A provider call failed. ``category`` and ``retryable`` say how routing treats it;
    ``request_scoped`` errors were caused by the request and never count against a model.
    """

    category = "unknown"
    request_scoped = False

    def __init__(
        self,
        message: str,
        *,
        provider_id: str | None = None,
        model_id: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(
            message,
            details={
                "provider_id": provider_id,
                "model_id": model_id,
                "status_code": status_code,
                "retry_after": retry_after,
            },
            retryable=retryable,
        )
        self.provider_id = provider_id
        self.model_id = model_id
        self.status_code = status_code
        self.retry_after = retry_after


class AuthenticationError(ProviderError):
    """The provider refused the credentials (401, 403): the whole provider is affected."""

    category = "auth"


class RateLimitError(ProviderError):
    """The provider throttled the call (429); ``retry_after`` is its advice, in seconds."""

    category = "rate_limit"
    retryable = True


class ProviderServerError(ProviderError):
    """The provider failed on its side (5xx)."""

    category = "server"
    retryable = True


class ProviderTimeoutError(ProviderError):
    """The provider did not answer within the timeout; retryable, and it counts."""

    category = "timeout"
    retryable = True


class ProviderConnectionError(ProviderError):
    """The provider could not be reached or dropped the connection; retryable."""

    category = "connection"
    retryable = True


class BadRequestError(ProviderError):
    """The provider rejected the request itself (400, 422): retrying elsewhere will not help."""

    category = "client"
    request_scoped = True


class ContextLengthError(BadRequestError):
    """The request does not fit the model's context window."""

    category = "context_length"


class ContentFilterError(BadRequestError):
    """The provider's content filter refused the request."""

    category = "content_filter"


class ModelNotFoundError(ProviderError):
    """The provider does not know the model (404): it counts against that model."""

    category = "not_found"


class StreamInterruptedError(ProviderError):
    """A stream broke after it started: cut, stalled, malformed or missing its end."""

    category = "connection"
    retryable = True


# --- routing ---------------------------------------------------------------------------


class RoutingError(ModelMeshError):
    """A request could not be routed to a model that answered it."""


class UnknownModelError(RoutingError, KeyError):
    """The requested model name is no pool, capability or alias the mesh knows."""

    def __init__(self, name: str, known: list[str]) -> None:
        listed = ", ".join(known) if known else "none configured"
        super().__init__(
            f"no pool serves model {name!r}: use a pool name ({listed}), a capability "
            "such as 'chat-completion', or a capability path",
            details={"model": name, "pools": known},
        )
        self.name = name

    def __str__(self) -> str:
        return self.message


class NoActiveModelError(RoutingError):
    """Every model of the pool is on standby or filtered out; trying later may work."""

    retryable = True

    def __init__(self, pool_name: str, message: str | None = None) -> None:
        super().__init__(
            message
            or f"pool {pool_name!r} has no active model for this request: every model is "
            "on standby, its provider is deactivated, or none serves the delivery mode",
            details={"pool": pool_name},
        )
        self.pool_name = pool_name


class AllProvidersExhaustedError(RoutingError):
    """Every candidate was tried and failed; ``last_error`` is the final failure."""

    def __init__(self, pool_name: str, attempts: int, last_error: BaseException | None) -> None:
        cause = f": last error: {last_error}" if last_error is not None else ""
        super().__init__(
            f"pool {pool_name!r}: all candidate models failed after {attempts} attempt(s){cause}",
            details={"pool": pool_name, "attempts": attempts},
        )
        self.pool_name = pool_name
        self.attempts = attempts
        self.last_error = last_error


class SessionModelUnavailableError(RoutingError):
    """A strict session-affinity pool lost the model its session is pinned to."""

    def __init__(self, session_id: str, model_id: str) -> None:
        super().__init__(
            f"session {session_id!r} is pinned to {model_id!r}, which is not available; "
            "the pool's affinity_mode is strict, so the session is not moved",
            details={"session_id": session_id, "model_id": model_id},
        )
        self.session_id = session_id
        self.model_id = model_id


class BudgetExceededError(ModelMeshError):
    """Sending the request would break a spending limit, so it was not sent."""

    def __init__(
        self,
        limit_type: str,
        limit_value: float,
        actual_value: float,
        *,
        scope: str,
    ) -> None:
        super().__init__(
            f"{scope}: the {limit_type} budget of ${limit_value:.4f} would be exceeded "
            f"(${actual_value:.4f} with this request); the request was not sent",
            details={
                "limit_type": limit_type,
                "limit_value": limit_value,
                "actual_value": actual_value,
                "scope": scope,
            },
        )
        self.limit_type = limit_type
        self.limit_value = limit_value
        self.actual_value = actual_value
        self.scope = scope


class RequestDeadlineError(RoutingError):
    """The request's deadline passed before any model answered it."""

    retryable = True

    def __init__(
        self, pool_name: str, deadline: float, attempts: int, last_error: BaseException | None
    ) -> None:
        cause = f"; last error: {last_error}" if last_error is not None else ""
        super().__init__(
            f"pool {pool_name!r}: no answer within the request deadline of {deadline:g}s "
            f"after {attempts} attempt(s){cause}; raise retry.deadline or pass a longer "
            "timeout",
            details={"pool": pool_name, "deadline": deadline, "attempts": attempts},
        )
        self.pool_name = pool_name
        self.attempts = attempts
        self.last_error = last_error
