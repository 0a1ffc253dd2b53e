"""The pluggy hook specifications of project "modelmesh".

A plugin module implements some of these with ``@modelmesh.hookimpl``. Registration
hooks receive a ``register`` callback, ``register(connector_id, implementation)``,
rather than returning lists, so one module can register several connectors and the
registry can say which module registered what. An implementation is a callable,
usually a class, that builds the connector from its options dict.
"""

from __future__ import annotations

from typing import Any, Protocol

import pluggy

from modelmesh.interfaces.connector import ConnectorType

PROJECT_NAME = "modelmesh"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class Register(Protocol):
    """The callback a registration hook receives."""

    def __call__(self, connector_id: str, implementation: Any) -> None: ...


# --- registration: one hook per connector type -------------------------------------


@hookspec
def modelmesh_register_providers(register: Register) -> None:
    """Register provider connectors: ``register("openai.llm.v1", OpenAIProvider)``."""


@hookspec
def modelmesh_register_rotation_policies(register: Register) -> None:
    """Register rotation policies: ``register("modelmesh.round-robin.v1", RoundRobin)``."""


@hookspec
def modelmesh_register_secret_stores(register: Register) -> None:
    """Register secret stores: ``register("modelmesh.env.v1", EnvSecretStore)``."""


@hookspec
def modelmesh_register_storage(register: Register) -> None:
    """Register storage backends: ``register("modelmesh.sqlite.v1", SqliteStorage)``."""


@hookspec
def modelmesh_register_observability(register: Register) -> None:
    """Register observability sinks: ``register("modelmesh.file.v1", FileSink)``."""


@hookspec
def modelmesh_register_discovery(register: Register) -> None:
    """Register discovery connectors: ``register("modelmesh.health-monitor.v1", Monitor)``."""


REGISTRATION_HOOKS: dict[ConnectorType, str] = {
    ConnectorType.PROVIDER: "modelmesh_register_providers",
    ConnectorType.ROTATION: "modelmesh_register_rotation_policies",
    ConnectorType.SECRET_STORE: "modelmesh_register_secret_stores",
    ConnectorType.STORAGE: "modelmesh_register_storage",
    ConnectorType.OBSERVABILITY: "modelmesh_register_observability",
    ConnectorType.DISCOVERY: "modelmesh_register_discovery",
}


# --- lifecycle ----------------------------------------------------------------------


@hookspec
def modelmesh_configure(config: Any) -> None:
    """Called once with the loaded MeshConfig before any connector is built."""


@hookspec
def modelmesh_startup(mesh: Any) -> None:
    """Called after the mesh has initialised its connectors and restored its state."""


@hookspec
def modelmesh_shutdown(mesh: Any) -> None:
    """Called when the mesh shuts down, before connectors are closed and state saved."""


# --- request middleware -------------------------------------------------------------


@hookspec
def modelmesh_before_request(context: Any, request: Any) -> Any:
    """Inspect a request before it is sent; return a replacement request or None."""


@hookspec
def modelmesh_after_response(context: Any, response: Any) -> Any:
    """Inspect a response before it is returned; return a replacement or None."""


@hookspec(firstresult=True)
def modelmesh_on_error(context: Any, error: BaseException) -> Any:
    """Handle a failed attempt; the first hook to return a response suppresses the error."""
