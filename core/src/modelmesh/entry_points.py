"""The index of installed connectors, built from packaging metadata alone.

Discovery follows stevedore's "name first, load later": one ``importlib.metadata``
snapshot per process says which connector IDs are installed, by which distribution,
in which module, and nothing is imported until a connector is actually asked for.
Listing plugins must stay fast with hundreds installed, so a distribution's version
and summary come from the header block of its METADATA, not from the email parser
reading the whole long description.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from importlib import metadata

import attrs

from modelmesh.connector_ids import parse_connector_id
from modelmesh.errors import InvalidConnectorIdError
from modelmesh.interfaces.connector import ConnectorType

_log = logging.getLogger("modelmesh.entry_points")


@attrs.frozen
class InstalledConnector:
    """One entry point: a connector ID offered by an installed distribution."""

    id: str
    connector_type: ConnectorType
    distribution: str
    version: str
    summary: str
    value: str  # the entry-point value: a module, or "module:attribute"

    @property
    def module(self) -> str:
        return self.value.partition(":")[0].strip()

    @property
    def qualified_name(self) -> str:
        return f"{self.connector_type.value}:{self.id}"


COMMANDS_GROUP = "modelmesh.commands"
"""Entry points adding ``modelmesh`` subcommands: name = command, value = "module:function"."""


@attrs.frozen
class InstalledCommand:
    """A ``modelmesh`` subcommand offered by an installed distribution."""

    name: str
    distribution: str
    summary: str
    value: str

    def load(self) -> object:
        """Import the command's function: ``function(argv: list[str]) -> int``."""
        return metadata.EntryPoint(self.name, self.value, COMMANDS_GROUP).load()


@attrs.frozen
class InstalledIndex:
    """Installed connectors by (type, id), plus the entry points that were ignored.

    A key maps to more than one connector when two distributions claim the same name
    in one group; the registry refuses to guess between them.
    """

    by_key: Mapping[tuple[ConnectorType, str], tuple[InstalledConnector, ...]]
    problems: tuple[str, ...] = ()
    commands: Mapping[str, InstalledCommand] = attrs.field(factory=dict)

    @property
    def connectors(self) -> list[InstalledConnector]:
        return [c for key in sorted(self.by_key, key=_sort_key) for c in self.by_key[key]]

    def lookup(
        self, connector_type: ConnectorType, connector_id: str
    ) -> tuple[InstalledConnector, ...]:
        return self.by_key.get((connector_type, connector_id), ())

    def types_of(self, connector_id: str) -> set[ConnectorType]:
        return {kind for kind, cid in self.by_key if cid == connector_id}

    def distribution_of_module(self, module_name: str) -> InstalledConnector | None:
        """An installed connector whose module shares the top-level package of
        ``module_name``: a cheap guess at which distribution shipped that module."""
        top = module_name.partition(".")[0]
        for connectors in self.by_key.values():
            for connector in connectors:
                if connector.module.partition(".")[0] == top:
                    return connector
        return None


def _sort_key(key: tuple[ConnectorType, str]) -> tuple[str, str]:
    return key[0].value, key[1]


_lock = threading.Lock()
_snapshot: InstalledIndex | None = None


def installed_index() -> InstalledIndex:
    """The process-wide snapshot of installed connectors, taken on first use."""
    global _snapshot
    with _lock:
        if _snapshot is None:
            _snapshot = scan()
            for problem in _snapshot.problems:
                _log.warning("%s", problem)
        return _snapshot


def clear_cache() -> None:
    """Forget the snapshot so the next call rescans (tests; after installing a plugin)."""
    global _snapshot
    with _lock:
        _snapshot = None


def scan() -> InstalledIndex:
    """Read every ``modelmesh.*`` entry point of the installed distributions.

    ``importlib.metadata.entry_points`` already keeps only the first distribution of
    each name on ``sys.path``, as the import system would, so a distribution seen twice
    is counted once.
    """
    by_key: dict[tuple[ConnectorType, str], list[InstalledConnector]] = {}
    problems: list[str] = []
    headers: dict[int, dict[str, str]] = {}

    def header_of(dist: metadata.Distribution | None) -> dict[str, str]:
        if id(dist) not in headers:
            headers[id(dist)] = _read_header(dist)
        return headers[id(dist)]

    all_entry_points = metadata.entry_points()
    commands: dict[str, InstalledCommand] = {}
    for entry_point in all_entry_points.select(group=COMMANDS_GROUP):
        header = header_of(entry_point.dist)
        commands.setdefault(
            entry_point.name,
            InstalledCommand(
                name=entry_point.name,
                distribution=header.get("name", "(unknown distribution)"),
                summary=header.get("summary", ""),
                value=entry_point.value,
            ),
        )
    for kind in ConnectorType:
        for entry_point in all_entry_points.select(group=kind.entry_point_group):
            header = header_of(entry_point.dist)
            distribution = header.get("name", "(unknown distribution)")
            try:
                connector_id = _connector_id(entry_point.name, kind)
            except InvalidConnectorIdError as exc:
                problems.append(
                    f"ignored entry point {entry_point.name!r} in group {entry_point.group!r} "
                    f"of distribution {distribution}: {exc.message}"
                )
                continue
            connector = InstalledConnector(
                id=connector_id,
                connector_type=kind,
                distribution=distribution,
                version=header.get("version", "0"),
                summary=header.get("summary", ""),
                value=entry_point.value,
            )
            found = by_key.setdefault((kind, connector_id), [])
            if all(other.distribution != connector.distribution for other in found):
                found.append(connector)
    return InstalledIndex(
        {key: tuple(value) for key, value in by_key.items()}, tuple(problems), commands
    )


def _connector_id(name: str, kind: ConnectorType) -> str:
    parsed = parse_connector_id(name)
    if ":" in name:
        raise InvalidConnectorIdError(
            f"entry-point names are short connector IDs such as 'openai.llm.v1', not {name!r}"
        )
    if parsed.connector_type not in (None, kind):
        raise InvalidConnectorIdError(
            f"{name!r} names a {parsed.connector_type.value} connector in the "
            f"{kind.entry_point_group} group"
        )
    return parsed.id


def _read_header(dist: metadata.Distribution | None) -> dict[str, str]:
    """Name, Version and Summary from the header block of METADATA (or PKG-INFO)."""
    if dist is None:
        return {}
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the body (long description) starts after the first blank line
        key, sep, value = line.partition(":")
        key = key.lower()
        if sep and key in ("name", "version", "summary") and key not in header:
            header[key] = value.strip()
    return header
