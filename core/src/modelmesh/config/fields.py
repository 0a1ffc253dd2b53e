"""Field types and validators shared by the schema classes.

Validators raise InvalidValue so that the loader can report them at the field's YAML
path; they are also what protects a config built directly in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NewType
from urllib.parse import urlsplit

import attrs

from modelmesh.config.issues import InvalidValue
from modelmesh.connector_ids import parse_connector_id
from modelmesh.errors import InvalidConnectorIdError
from modelmesh.redaction import REDACTED, redact

ConnectorRef = NewType("ConnectorRef", str)
"""A connector ID in any accepted form; the schema holds its short form."""

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]

GLOB_CHARACTERS = frozenset("*?[")


def at_least(minimum: float) -> Validator:
    def check(_instance: Any, _attribute: Any, value: Any) -> None:
        if value < minimum:
            raise InvalidValue(f"must be at least {minimum}", value)

    return check


def between(low: float, high: float) -> Validator:
    def check(_instance: Any, _attribute: Any, value: Any) -> None:
        if not low <= value <= high:
            raise InvalidValue(f"must be between {low} and {high}", value)

    return check


def optional(validator: Validator) -> Validator:
    def check(instance: Any, attribute: Any, value: Any) -> None:
        if value is not None:
            validator(instance, attribute, value)

    return check


def each(validator: Validator) -> Validator:
    """Apply a validator to every item of a tuple, locating a failure at its index."""

    def check(instance: Any, attribute: Any, values: Any) -> None:
        for index, value in enumerate(values):
            try:
                validator(instance, attribute, value)
            except InvalidValue as error:
                raise InvalidValue(error.expected, error.value, at=(index, *error.at)) from None

    return check


def http_status(_instance: Any, _attribute: Any, value: int) -> None:
    if not 100 <= value <= 599:
        raise InvalidValue("expected an HTTP status code between 100 and 599", value)


def http_url(_instance: Any, _attribute: Any, value: str) -> None:
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidValue("expected an http:// or https:// URL such as 'https://api.example.com'")


def cron(_instance: Any, _attribute: Any, value: str) -> None:
    from modelmesh.calendar import CronSchedule

    try:
        CronSchedule(value)
    except ValueError as error:
        raise InvalidValue(
            f"{error}; for example '0 2 * * sun' opens a window at 02:00 UTC every Sunday",
            value,
        ) from None


def non_empty(_instance: Any, _attribute: Any, value: Any) -> None:
    if not value:
        raise InvalidValue("must not be empty")


def plugin_pattern(_instance: Any, _attribute: Any, value: str) -> None:
    """A connector ID (short, full or qualified) or an fnmatch glob."""
    if GLOB_CHARACTERS.intersection(value):
        return
    try:
        parse_connector_id(value)
    except InvalidConnectorIdError as error:
        raise InvalidValue(f"{error}; or use a glob such as 'openai.*'") from None


def connector_id(value: Any) -> str:
    """Parse any accepted form of a connector ID into its short form."""
    if not isinstance(value, str):
        raise InvalidValue("expected a connector ID such as 'openai.llm.v1'", value)
    try:
        return parse_connector_id(value).id
    except InvalidConnectorIdError as error:
        raise InvalidValue(str(error)) from None


def looks_like_connector_id(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse_connector_id(value)
    except InvalidConnectorIdError:
        return False
    return True


def strip_trailing_slash(value: Any) -> Any:
    """A base URL is stored as given minus a trailing slash."""
    return value.rstrip("/") if isinstance(value, str) else value


def hidden_repr(value: Any) -> str:
    """Repr for a field that holds a credential."""
    return repr(value) if not value else repr(REDACTED)


def redacted_repr(value: Any) -> str:
    """Repr for a free mapping of options that may hold credentials."""
    return repr(redact(value))
