"""Which installed connectors may load: the ``plugins:`` allow/deny lists.

An allow-list makes a run reproducible whatever else is installed (llm's
``LLM_LOAD_PLUGINS``); the ``MODELMESH_LOAD_PLUGINS`` variable overrides the
configuration from the environment, so one command can run with a different set
without editing YAML. The filter governs installed (entry-point) connectors only:
runtime registrations and packages are named explicitly by code or configuration.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping

import attrs

from modelmesh.connector_ids import parse_connector_id
from modelmesh.errors import ConfigurationError, InvalidConnectorIdError
from modelmesh.interfaces.connector import ConnectorType

ENV_VAR = "MODELMESH_LOAD_PLUGINS"
CONFIG_SOURCE = "the plugins section of the configuration"
_GLOB_CHARS = frozenset("*?[")


def _entries(value: Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise ConfigurationError(
            f"plugin allow/deny lists are lists of connector IDs, got the string {value!r}"
        )
    return tuple(entry.strip().lower() for entry in value)


def _required_entries(value: Iterable[str]) -> tuple[str, ...]:
    return _entries(value) or ()


@attrs.frozen
class PluginFilter:
    """Allow and deny lists of connector IDs or fnmatch globs; deny wins.

    ``allow=None`` allows everything; ``allow=()`` allows nothing. Entries match the
    short ID (``openai.llm.v1``), the full ID (``provider.openai.llm.v1``) or the
    qualified name (``provider:openai.llm.v1``); globs such as ``modelmesh.*`` or
    ``provider:*`` are matched against all three forms.
    """

    allow: tuple[str, ...] | None = attrs.field(default=None, converter=_entries)
    deny: tuple[str, ...] = attrs.field(default=(), converter=_required_entries)
    source: str = CONFIG_SOURCE

    def __attrs_post_init__(self) -> None:
        for entry in (*(self.allow or ()), *self.deny):
            if _GLOB_CHARS.isdisjoint(entry):
                try:
                    parse_connector_id(entry)
                except InvalidConnectorIdError as exc:
                    raise ConfigurationError(
                        f"{self.source}: {exc.message}; entries are connector IDs or globs"
                        " such as 'modelmesh.*'"
                    ) from exc

    @classmethod
    def from_settings(
        cls,
        allow: Iterable[str] | None = None,
        deny: Iterable[str] = (),
        *,
        environ: Mapping[str, str] | None = None,
        source: str = CONFIG_SOURCE,
    ) -> PluginFilter:
        """Build the filter from the configuration, unless MODELMESH_LOAD_PLUGINS is set.

        The variable, when present, replaces both lists: a comma-separated allow-list,
        where the empty string means no installed plugin at all.
        """
        env = os.environ if environ is None else environ
        if ENV_VAR in env:
            names = [part for part in env[ENV_VAR].split(",") if part.strip()]
            return cls(allow=names, deny=(), source=ENV_VAR)
        return cls(allow=allow, deny=deny, source=source)

    def allows(self, connector_type: ConnectorType, connector_id: str) -> bool:
        """True when the connector may be loaded."""
        return self.refusal(connector_type, connector_id) is None

    def refusal(self, connector_type: ConnectorType, connector_id: str) -> str | None:
        """Why the connector is blocked, in words for an error message; None if allowed."""
        for entry in self.deny:
            if _matches(entry, connector_type, connector_id):
                return f"it matches the deny entry {entry!r} of {self.source}"
        if self.allow is None:
            return None
        if any(_matches(entry, connector_type, connector_id) for entry in self.allow):
            return None
        if not self.allow:
            return f"{self.source} allows no installed plugin"
        return f"it is not in the allow list of {self.source}"


def _matches(entry: str, connector_type: ConnectorType, connector_id: str) -> bool:
    if not _GLOB_CHARS.isdisjoint(entry):
        kind = connector_type.value
        forms = (connector_id, f"{kind}.{connector_id}", f"{kind}:{connector_id}")
        return any(fnmatch.fnmatchcase(form, entry) for form in forms)
    parsed = parse_connector_id(entry)
    return parsed.id == connector_id and parsed.connector_type in (None, connector_type)
