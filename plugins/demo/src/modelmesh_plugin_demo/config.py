"""The demo's configuration: the shipped ``demo.yaml``, the fake providers' ports filled in,
and an in-process sink that hands the mesh's events to the display."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources

import attrs

from modelmesh.config import load_config
from modelmesh.config.schema import Channel, MeshConfig, ObservabilityConfig, SinkConfig
from modelmesh.interfaces.observability import ObservabilityConnector

DEMO_YAML = resources.files(__package__).joinpath("demo.yaml")
"""The example configuration the demo serves, shipped with the package."""

POOL = "chat"
"""The pool of ``demo.yaml`` the requests ask for."""


def demo_config(ports: Mapping[str, str], sink: ObservabilityConnector) -> MeshConfig:
    """``demo.yaml`` with ``ports`` as its only environment, so nothing the user has set
    can change the demo, and ``sink`` receiving the mesh's events."""
    with resources.as_file(DEMO_YAML) as path:
        config = load_config(path, environ=ports)
    events = SinkConfig(instance=sink, channels=(Channel.EVENTS,))
    return attrs.evolve(config, observability=ObservabilityConfig(sinks=(events,)))
