"""Reading and rewriting ``.env`` files line by line.

Rewriting keeps every line it does not change byte for byte (comments, blank lines,
other keys), so a file a person maintains stays theirs after ``modelmesh secrets set``.

The accepted syntax: ``KEY=value`` lines, an optional ``export `` prefix, ``#``
comments on their own line or after an unquoted value (preceded by whitespace),
single quotes (taken literally) and double quotes (``\\n``, ``\\t``, ``\\"``, ``\\\\``
escapes). A value is one line; write a line break as ``\\n`` inside double quotes.
"""

from __future__ import annotations

import re

import attrs

__all__ = ["DotenvSyntaxError", "Line", "format_assignment", "parse"]

_ASSIGNMENT = re.compile(
    r"^\s*(?P<export>export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)\s*=(?P<rest>.*)$"
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


class DotenvSyntaxError(ValueError):
    """A line that is not an assignment; the message names the line, never its text
    (it may hold a value)."""


@attrs.frozen
class Line:
    """One line of the file as written, and the key it assigns (None: comment or blank)."""

    text: str = attrs.field(repr=False)
    key: str | None = None
    value: str = attrs.field(default="", repr=False)
    exported: bool = False


def parse(text: str, *, source: str) -> list[Line]:
    """Every line of ``text``; DotenvSyntaxError naming ``source`` and the line number."""
    raws = text.split("\n")  # not splitlines(): a value may hold \x1e, \x85 or \u2028
    if raws[-1] == "":
        raws.pop()
    lines = []
    for number, raw in enumerate(raws, start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            lines.append(Line(raw))
            continue
        match = _ASSIGNMENT.match(raw)
        if match is None:
            raise DotenvSyntaxError(
                f"{source}, line {number}: expected KEY=value (a comment starts with #)"
            )
        try:
            value = _value(match["rest"].strip())
        except ValueError as error:
            raise DotenvSyntaxError(f"{source}, line {number}: {error}") from None
        lines.append(Line(raw, match["key"], value, exported=match["export"] is not None))
    return lines


def _value(rest: str) -> str:
    if rest[:1] == "'":
        end = rest.find("'", 1)
        if end < 0:
            raise ValueError("the single quote is never closed")
        _comment_only(rest[end + 1 :])
        return rest[1:end]
    if rest[:1] == '"':
        chars: list[str] = []
        index = 1
        while index < len(rest):
            char = rest[index]
            if char == "\\" and index + 1 < len(rest) and rest[index + 1] in _ESCAPES:
                chars.append(_ESCAPES[rest[index + 1]])
                index += 2
                continue
            if char == '"':
                _comment_only(rest[index + 1 :])
                return "".join(chars)
            chars.append(char)
            index += 1
        raise ValueError("the double quote is never closed")
    return re.split(r"\s+#", rest, maxsplit=1)[0].rstrip()


def _comment_only(after: str) -> None:
    after = after.strip()
    if after and not after.startswith("#"):
        raise ValueError("unexpected text after the closing quote")


def format_assignment(key: str, value: str, *, exported: bool = False) -> str:
    """A line that ``parse`` reads back as ``key`` = ``value``, whatever the value holds."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'{"export " if exported else ""}{key}="{escaped}"'
