"""Connector ID conventions.

An ID is lowercase, with hyphens inside a segment and dots between segments, and ends
in a version segment ``vN``: ``openai.llm.v1``. Inside its own config section the type
prefix is dropped; the full form puts the connector type first:
``provider.openai.llm.v1``. Qualified names (``provider:openai.llm.v1``) key the
plugin manager, where one flat namespace serves every type.
"""

from __future__ import annotations

import re

import attrs

from modelmesh.errors import InvalidConnectorIdError
from modelmesh.interfaces.connector import ConnectorType

_SEGMENT = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_ID = re.compile(rf"^{_SEGMENT}(?:\.{_SEGMENT})+\.v[0-9]+$")
_TYPES = {t.value: t for t in ConnectorType}

STRATEGY_SHORT_NAMES = (
    "stick-until-failure",
    "priority-selection",
    "round-robin",
    "cost-first",
    "latency-first",
    "session-stickiness",
    "rate-limit-aware",
    "load-balanced",
)
"""The eight standard selection strategies; ``round-robin`` stands for the connector
``modelmesh.round-robin.v1`` wherever a strategy is named."""


def strategy_connector_id(short_name: str) -> str:
    """The rotation connector ID a standard strategy's short name stands for."""
    return f"modelmesh.{short_name}.v1"


@attrs.frozen
class ConnectorId:
    """A parsed connector ID: the short ID and, when the full form gave one, its type."""

    id: str
    connector_type: ConnectorType | None = None

    @property
    def version(self) -> int:
        return int(self.id.rsplit(".v", 1)[1])

    def qualified(self, connector_type: ConnectorType | None = None) -> str:
        kind = connector_type or self.connector_type
        if kind is None:
            raise ValueError(f"connector ID {self.id!r} has no type to qualify it with")
        return f"{kind.value}:{self.id}"


def is_connector_id(text: str) -> bool:
    """True for a well-formed short connector ID such as ``openai.llm.v1``."""
    return bool(_ID.match(text))


def parse_connector_id(text: str) -> ConnectorId:
    """Parse a short (``openai.llm.v1``), full (``provider.openai.llm.v1``) or
    qualified (``provider:openai.llm.v1``) connector ID.

    Raises InvalidConnectorIdError naming the rule that failed.
    """
    if not isinstance(text, str):
        raise InvalidConnectorIdError(f"a connector ID must be a string, got {type(text).__name__}")
    connector_type: ConnectorType | None = None
    body = text
    if ":" in text:
        prefix, _, body = text.partition(":")
        if prefix not in _TYPES:
            raise InvalidConnectorIdError(
                f"{text!r}: {prefix!r} is not a connector type; use one of "
                + ", ".join(sorted(_TYPES))
            )
        connector_type = _TYPES[prefix]
    else:
        head, _, rest = text.partition(".")
        if head in _TYPES and rest.count(".") >= 2:
            connector_type, body = _TYPES[head], rest
    if not _ID.match(body):
        raise InvalidConnectorIdError(_explain(text, body))
    return ConnectorId(body, connector_type)


def _explain(text: str, body: str) -> str:
    if body != body.lower():
        why = "connector IDs are lowercase"
    elif not re.search(r"\.v[0-9]+$", body):
        why = "a connector ID ends in a version segment such as '.v1'"
    elif body.count(".") < 2:
        why = "a connector ID has at least a namespace, a name and a version: 'vendor.service.v1'"
    elif "_" in body or " " in body:
        why = "use hyphens inside a segment and dots between segments, no '_' or spaces"
    else:
        why = "segments hold lowercase letters, digits and single hyphens"
    return f"invalid connector ID {text!r}: {why} (for example 'openai.llm.v1')"
