"""Keeping secrets out of logs, errors and reprs.

Redaction works by key name, recursively, so that no call site has to remember it:
the logging pipeline, error messages and config reprs all go through here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "***"

_SECRET_WORDS = frozenset(
    {
        "secret",
        "password",
        "passwd",
        "passphrase",
        "authorization",
        "credential",
        "credentials",
        "cookie",
        "signature",
        "sig",
        "apikey",
        "auth",
    }
)
# "max_tokens" or "tokens_in" count tokens; "token" or "access_token" is one.
_COUNT_WORDS = frozenset(
    {
        "max",
        "total",
        "prompt",
        "completion",
        "input",
        "output",
        "estimated",
        "num",
        "used",
        "limit",
        "remaining",
        "in",
        "out",
        "per",
    }
)
_WORD_BOUNDARY = re.compile(r"[-_.\s]+|(?<=[a-z0-9])(?=[A-Z])")
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


def is_secret_key(name: str) -> bool:
    """True when a mapping key or query parameter name suggests a secret value."""
    words = [w.lower() for w in _WORD_BOUNDARY.split(name) if w]
    if not words:
        return False
    if _SECRET_WORDS.intersection(words) or words[-1] == "key":
        return True
    if words[-1] in ("token", "tokens"):
        return not _COUNT_WORDS.intersection(words[:-1])
    return False


class Secret(str):
    """A string that hides itself in reprs; str() and formatting still give the value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"


def redact_url(url: str) -> str:
    """Hide secret query parameters and user info in a URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, REDACTED if is_secret_key(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """Hide bearer tokens and secret URL parameters inside free text."""
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    if "://" in text and "?" in text:
        text = re.sub(r"https?://\S+", lambda m: redact_url(m.group(0)), text)
    return text


def redact(value: Any) -> Any:
    """Return a copy of value with every secret replaced by ``***``.

    Mappings are walked recursively and values under secret-looking keys are hidden;
    lists and tuples are walked; strings lose bearer tokens and secret URL parameters;
    ``Secret`` values are always hidden.
    """
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, Mapping):
        return {k: _redact_item(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(v) for v in value)
    if isinstance(value, str):
        return redact_text(value)
    return value


def _redact_item(key: Any, value: Any) -> Any:
    # Containers under a secret-looking key ("auth", "headers") are walked, not
    # blanked, so that their harmless parts ("method: bearer") stay readable.
    if (
        isinstance(key, str)
        and is_secret_key(key)
        and value not in (None, "")
        and not isinstance(value, Mapping)
    ):
        return REDACTED
    return redact(value)
