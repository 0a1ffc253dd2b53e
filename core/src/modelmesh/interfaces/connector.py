"""What every connector type shares: its type and its catalogue entry."""

from __future__ import annotations

import enum

import attrs


class ConnectorType(enum.Enum):
    """Classification of connector implementations."""

    PROVIDER = "provider"
    ROTATION = "rotation"
    SECRET_STORE = "secret_store"
    STORAGE = "storage"
    OBSERVABILITY = "observability"
    DISCOVERY = "discovery"

    @property
    def entry_point_group(self) -> str:
        """The packaging entry-point group that holds connectors of this type."""
        return f"modelmesh.{self.value}"

    @classmethod
    def parse(cls, value: str | ConnectorType) -> ConnectorType:
        """Accept a ConnectorType, its value (``"secret_store"``) or a hyphenated name."""
        if isinstance(value, ConnectorType):
            return value
        normalized = str(value).strip().lower().replace("-", "_")
        for member in cls:
            if member.value == normalized:
                return member
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"unknown connector type {value!r}; use one of {choices}")


@attrs.frozen
class ConnectorInfo:
    """Descriptor for a registered or installed connector implementation.

    ``id``, ``connector_type``, ``version`` and ``description`` are the catalogue
    contract; ``distribution``, ``module`` and ``source`` say where the connector comes
    from (``entry-point``, ``package`` or ``runtime``); ``enabled`` is False when the
    plugin filter (``plugins:`` or MODELMESH_LOAD_PLUGINS) blocks it.
    """

    id: str
    connector_type: ConnectorType
    version: str
    description: str
    distribution: str | None = None
    module: str | None = None
    source: str = "entry-point"
    enabled: bool = True
