"""Configuration issues: what was wrong, at which YAML path, file and line.

Every phase of loading (YAML, references, variant forms, types, cross references)
records issues in one IssueLog so that a user sees all problems at once, each with
the path they wrote, and never a secret value.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from modelmesh.errors import ConfigurationError
from modelmesh.redaction import Secret, is_secret_key

Key = str | int
Path = tuple[Key, ...]
"""A location in the configuration: mapping keys and list indices from the top."""

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_NO_VALUE: Any = object()


def format_path(path: Iterable[Any]) -> str:
    """Dotted path; keys that are not plain words go in brackets: ``providers["a.b.v1"].x``."""
    text = ""
    for key in path:
        if isinstance(key, int) and not isinstance(key, bool):
            text += f"[{key}]"
        elif isinstance(key, str) and _PLAIN_KEY.match(key):
            text += f".{key}" if text else key
        else:
            text += f"[{json.dumps(key if isinstance(key, str) else repr(key))}]"
    return text


def closest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice most similar to word, if any is similar enough (difflib ratio)."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def suggestion(word: Any, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or nothing."""
    match = closest(word, choices) if isinstance(word, str) else None
    return f" (did you mean {match!r}?)" if match else ""


def describe(value: Any) -> str:
    """A short, YAML-flavoured description of a value for an error message."""
    if value is None:
        return "null"
    if isinstance(value, Secret):
        return "a secret value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        text = str.__str__(value)
        return repr(text if len(text) <= 60 else text[:57] + "...")
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"a {type(value).__name__} object"


class InvalidValue(ValueError):
    """A value does not fit: ``expected`` says what would, ``at`` locates it below the
    place where it was raised (a field name, a list index)."""

    def __init__(
        self, expected: str, value: Any = _NO_VALUE, *, at: Path = (), hint: str = ""
    ) -> None:
        super().__init__(expected)
        self.expected = expected
        self.value = value
        self.at = at
        self.hint = hint

    def message(self, *, hide_value: bool = False) -> str:
        if self.value is _NO_VALUE:
            return self.expected + self.hint
        if hide_value or isinstance(self.value, Secret):
            return f"{self.expected} (the value is not shown because it may be secret)"
        return f"{self.expected}, got {describe(self.value)}{self.hint}"

    def __str__(self) -> str:
        return self.message()


@attrs.frozen
class ConfigIssue:
    """One problem in a configuration: dotted YAML path, message, file and line."""

    path: str
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        location = self.file or ""
        if self.file and self.line is not None:
            location = f"{self.file}:{self.line}"
        elif self.line is not None:
            location = f"line {self.line}"
        return ": ".join(part for part in (location, self.path, self.message) if part)


class ConfigError(ConfigurationError):
    """The configuration has one or more issues; str() lists every one, one per line."""

    def __init__(self, issues: Iterable[ConfigIssue]) -> None:
        self.issues: list[ConfigIssue] = list(issues)
        super().__init__(
            "\n".join(str(issue) for issue in self.issues),
            details={"issues": [attrs.asdict(issue) for issue in self.issues]},
        )


class IssueLog:
    """Collects issues while a configuration is loaded.

    Paths are recorded as written in the source. Normalization moves values to their
    canonical place and records where they came from (``moved``), so an issue found
    later at a canonical path is reported at the path the user wrote.
    """

    def __init__(self, file: str | None = None) -> None:
        self.file = file
        self.lines: Mapping[Path, int] = {}
        """Line of each path in the source file, filled by parse_yaml."""
        self.issues: list[ConfigIssue] = []
        self._origins: dict[Path, Path] = {}
        self._seen: set[tuple[str, str]] = set()
        self._blocked: set[Path] = set()

    def add(self, path: Path, message: str, *, line: int | None = None) -> None:
        """Record an issue at a path as written in the source (line: when known better)."""
        text = format_path(path)
        if (text, message) in self._seen or self._is_blocked(path):
            return
        self._seen.add((text, message))
        self.issues.append(ConfigIssue(text, message, self.file, line or self._line(path)))

    def invalid(self, path: Path, error: InvalidValue) -> None:
        """Record an InvalidValue raised at path, hiding the value when the path looks
        secret."""
        self._invalid_at(path + error.at, error)

    def block(self, path: Path) -> None:
        """Drop later issues at or below path: its value already failed (a missing
        variable, say) and a follow-up type error would only repeat that."""
        self._blocked.add(path)

    def moved(self, canonical: Path, original: Path) -> None:
        """Remember that the value now at ``canonical`` was written at ``original``."""
        if canonical != original:
            self._origins[canonical] = original

    def original(self, path: Path) -> Path:
        """Translate a canonical path back to where the user wrote it."""
        for size in range(len(path), 0, -1):
            origin = self._origins.get(path[:size])
            if origin is not None:
                return origin + path[size:]
        return path

    def add_canonical(self, path: Path, message: str) -> None:
        self.add(self.original(path), message)

    def invalid_canonical(self, path: Path, error: InvalidValue) -> None:
        self._invalid_at(self.original(path + error.at), error)

    def _invalid_at(self, path: Path, error: InvalidValue) -> None:
        last = next((key for key in reversed(path) if isinstance(key, str)), "")
        self.add(path, error.message(hide_value=is_secret_key(last)))

    def unknown_key(self, path: Path, key: Any, known: Iterable[str], *, canonical: bool) -> None:
        """An unexpected key: name the closest known key, or list them when none is close."""
        known = sorted(known)
        hint = suggestion(key, known) or f"; expected one of: {', '.join(known)}"
        message = f"unknown key {key!r}{hint}"
        full = (*path, key)
        self.add(self.original(full) if canonical else full, message)

    def raise_if_any(self) -> None:
        if self.issues:
            raise ConfigError(sorted(self.issues, key=_order))

    def _is_blocked(self, path: Path) -> bool:
        return bool(self._blocked) and any(
            path[:size] in self._blocked for size in range(len(path) + 1)
        )

    def _line(self, path: Path) -> int | None:
        for size in range(len(path), -1, -1):
            line = self.lines.get(path[:size])
            if line is not None:
                return line
        return None


def _order(issue: ConfigIssue) -> tuple[bool, int]:
    return (issue.line is None, issue.line or 0)
