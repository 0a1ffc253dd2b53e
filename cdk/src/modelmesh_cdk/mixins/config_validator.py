"""Checking a plain options dict by hand: required fields, types, URLs, durations.

Most connectors declare an attrs config class and let ``modelmesh_cdk.options``
check it. This mixin serves connectors that keep a free-form dict (or check a part
of one) and want the same kind of messages: every problem at once, naming the field
and the expected type, never the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelmesh.config.durations import parse_duration
from modelmesh.config.fields import http_url
from modelmesh.config.issues import InvalidValue

__all__ = ["ConfigValidatorMixin", "FieldSchema"]

FieldSchema = Mapping[str, Any]
"""``{"type": str | tuple of types, "required": bool}``; both keys optional."""


class ConfigValidatorMixin:
    """Validate config dicts against a small schema of types and required fields."""

    def _validate_config(
        self, config: Mapping[str, Any], schema: Mapping[str, FieldSchema]
    ) -> list[str]:
        """Every problem found, one message each; an empty list means valid."""
        errors: list[str] = []
        for field, descriptor in schema.items():
            if field not in config:
                if descriptor.get("required", False):
                    errors.append(f"missing required field {field!r}")
                continue
            problem = _type_problem(field, config[field], descriptor.get("type"))
            if problem:
                errors.append(problem)
        return errors

    def _require_field(self, config: Mapping[str, Any], field: str, field_type: Any) -> Any:
        """The field's value; KeyError when it is missing, TypeError when mistyped."""
        if field not in config:
            raise KeyError(f"missing required field {field!r}")
        value = config[field]
        problem = _type_problem(field, value, field_type)
        if problem:
            raise TypeError(problem)
        return value

    def _validate_url(self, url: str) -> bool:
        """True for an http:// or https:// URL with a host."""
        if not isinstance(url, str):
            return False
        try:
            http_url(None, None, url)
        except InvalidValue:
            return False
        return True

    def _validate_duration(self, value: str | float) -> float:
        """Seconds for ``"500ms"``, ``"1.5s"``, ``"30m"``, ``"1h"``, ``"7d"`` or a
        number; ValueError naming the accepted units otherwise."""
        return parse_duration(value)


def _type_problem(field: str, value: Any, expected: Any) -> str | None:
    if expected is None:
        return None
    types = expected if isinstance(expected, tuple) else (expected,)
    # True is an int to Python, but never a count or a number in a config.
    mistaken_bool = isinstance(value, bool) and bool not in types
    if isinstance(value, types) and not mistaken_bool:
        return None
    names = " or ".join(t.__name__ for t in types)
    return f"field {field!r} expected type {names}, got {type(value).__name__}"
