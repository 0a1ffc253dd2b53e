"""References inside string values.

``${VAR}`` and ``${VAR:-default}`` read the environment, ``${secrets:NAME}`` the
configured secret store, and ``$${`` is a literal ``${``. A value made of exactly one
``${VAR}`` is re-read as a YAML scalar when a typed field needs it, so
``port: ${PORT}`` gives an int while ``name: ${NAME}`` keeps the text as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from modelmesh.config.issues import IssueLog, Path
from modelmesh.redaction import Secret

_TOKEN = re.compile(r"\$\$\{|\$\{(?P<body>[^{}]*)\}|\$\{")
_VARIABLE = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?", re.DOTALL)
_SECRET_NAME = re.compile(r"[A-Za-z0-9_.\-/]+")
_WHOLE_VARIABLE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^{}]*)?\}")
_SECRET_PREFIX = "secrets:"

SecretLookup = Callable[[str, Path], str | None]
"""Returns a secret's value, or None after recording why it could not."""


class EnvText(str):
    """A whole value that came from one ``${VAR}``: text for string fields, a YAML
    scalar for typed ones."""

    __slots__ = ()

    def scalar(self) -> Any:
        """The text read as a YAML scalar (``8080`` -> 8080, ``true`` -> True)."""
        try:
            value = yaml.safe_load(str(self))
        except yaml.YAMLError:
            return str(self)
        return value if isinstance(value, str | int | float | bool) else str(self)


class SecretText(Secret):
    """A value resolved through the secret store. It remembers the text it was
    written as, so a config can be written back without the secret."""

    reference: str

    def __new__(cls, value: str, reference: str) -> SecretText:
        text = super().__new__(cls, value)
        text.reference = reference
        return text

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return (str.__str__(self), self.reference)


def has_secret_reference(value: Any) -> bool:
    """True when a ``${secrets:...}`` reference occurs anywhere inside value."""
    if isinstance(value, str):
        return _SECRET_PREFIX in value and any(
            (match["body"] or "").startswith(_SECRET_PREFIX) for match in _TOKEN.finditer(value)
        )
    if isinstance(value, Mapping):
        return any(has_secret_reference(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(has_secret_reference(item) for item in value)
    return False


class Resolver:
    """Substitutes references in every string of a plain data tree.

    ``secrets`` is None where secret references are not allowed (inside ``secrets:``)
    and ``defer_secrets`` keeps strings holding one verbatim (no store, or checking
    a config without secret access).
    """

    def __init__(
        self,
        log: IssueLog,
        environ: Mapping[str, str],
        secrets: SecretLookup | None = None,
        *,
        defer_secrets: bool = False,
    ) -> None:
        self.log = log
        self.environ = environ
        self.secrets = secrets
        self.defer_secrets = defer_secrets
        self.failed: set[Path] = set()
        """Paths whose value could not be resolved; later checks should skip them."""

    def resolve(self, value: Any, path: Path) -> Any:
        if isinstance(value, str):
            return self._text(value, path) if "${" in value else value
        if isinstance(value, Mapping):
            return {key: self.resolve(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.resolve(item, (*path, index)) for index, item in enumerate(value)]
        return value

    def _text(self, value: str, path: Path) -> str:
        if self.defer_secrets and has_secret_reference(value):
            return value
        parts: list[str] = []
        position = 0
        from_secret = False
        for match in _TOKEN.finditer(value):
            parts.append(value[position : match.start()])
            position = match.end()
            body = match["body"]
            if match.group(0) == "$${":
                parts.append("${")
            elif body is None:
                self._fail(path, "unterminated reference '${'; close it with '}' or write '$${'")
            elif body.startswith(_SECRET_PREFIX):
                secret = self._secret(body.removeprefix(_SECRET_PREFIX), path)
                from_secret = True
                parts.append(secret or "")
            else:
                parts.append(self._variable(body, path))
        parts.append(value[position:])
        text = "".join(parts)
        if from_secret:
            return SecretText(text, value)
        if _WHOLE_VARIABLE.fullmatch(value):
            return EnvText(text)
        return text

    def _variable(self, body: str, path: Path) -> str:
        match = _VARIABLE.fullmatch(body)
        if match is None:
            self._fail(
                path,
                f"invalid reference '${{{body}}}'; use ${{VAR}}, ${{VAR:-default}} or "
                "${secrets:NAME}, and write '$${' for a literal '${'",
            )
            return ""
        name, default = match["name"], match["default"]
        found = self.environ.get(name)
        if found is not None:
            return found
        if default is not None:
            return default
        self._fail(
            path,
            f"environment variable {name!r} is not set; set it, or give a default with "
            f"${{{name}:-value}}",
        )
        return ""

    def _secret(self, name: str, path: Path) -> str | None:
        if not _SECRET_NAME.fullmatch(name):
            self._fail(path, f"invalid secret name {name!r} in a ${{secrets:NAME}} reference")
            return None
        if self.secrets is None:
            self._fail(
                path,
                "a ${secrets:...} reference cannot be used inside 'secrets:', which "
                "configures the store itself; use an environment reference such as ${VAR}",
            )
            return None
        secret = self.secrets(name, path)
        if secret is None:
            self.failed.add(path)
        return secret

    def _fail(self, path: Path, message: str) -> None:
        self.log.add(path, message)
        self.failed.add(path)


def plain(value: Any) -> Any:
    """Data for a free-form option: ``${VAR}`` values become YAML scalars, containers
    become plain lists and dicts."""
    if isinstance(value, EnvText):
        return value.scalar()
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value
