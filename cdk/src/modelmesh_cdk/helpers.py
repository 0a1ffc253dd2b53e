"""Small utilities connector authors reach for: durations, secrets, configs, IDs.

Durations and connector IDs follow the core's rules exactly (these names re-export
or wrap the core's functions), so a connector never disagrees with the mesh about
what ``"500ms"`` or ``provider.openai.chat.v1`` means.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from modelmesh.config.durations import format_duration, parse_duration
from modelmesh.connector_ids import parse_connector_id
from modelmesh.errors import InvalidConnectorIdError
from modelmesh.redaction import REDACTED

__all__ = [
    "format_duration",
    "merge_configs",
    "parse_duration",
    "redact_secret",
    "validate_connector_id",
]

_PREFIX_SEPARATORS = "-_"


def redact_secret(value: str) -> str:
    """Hide a secret but keep its recognisable prefix: ``"sk-abc123xyz"`` -> ``"sk-***"``.

    The prefix runs up to and including the first ``-`` or ``_`` within the first six
    characters, else it is the first four characters. Values shorter than six
    characters, and values whose prefix would be more than half of them, become
    ``"***"``.
    """
    if len(value) < 6:
        return REDACTED
    cut = next((i + 1 for i, char in enumerate(value[:6]) if char in _PREFIX_SEPARATORS), 4)
    if cut * 2 > len(value):
        return REDACTED
    return value[:cut] + REDACTED


def merge_configs(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict: override deep-merged onto base. Mappings merge key by key; any
    other value (lists included) from override replaces base's. Neither input is
    changed, and the result shares no mutable value with them."""
    merged = {key: copy.deepcopy(value) for key, value in base.items()}
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = merge_configs(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def validate_connector_id(text: str) -> bool:
    """True for a full connector ID: ``type.vendor.service.vN`` with one of the six
    connector types first, such as ``provider.openai.chat.v1``."""
    if not isinstance(text, str) or ":" in text:
        return False
    try:
        parsed = parse_connector_id(text)
    except InvalidConnectorIdError:
        return False
    return parsed.connector_type is not None and parsed.id.count(".") == 2
