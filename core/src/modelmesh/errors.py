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
