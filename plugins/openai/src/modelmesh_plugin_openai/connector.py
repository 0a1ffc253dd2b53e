"""One provider class for OpenAI and every service that speaks its API.

The vendors here differ only in where they live, which models they declare up front
and whether they need a key, so each connector ID gets a thin subclass that carries
its preset from ``presets.py`` and no code of its own. Chat (JSON and SSE),
embeddings, model listing and rate-limit headers all come from the CDK's
``OpenAICompatibleProvider``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import httpx

from modelmesh.clock import Clock
from modelmesh.errors import ConfigurationError
from modelmesh_cdk.base.openai_compatible import OpenAICompatibleConfig, OpenAICompatibleProvider
from modelmesh_cdk.options import load_options
from modelmesh_plugin_openai.presets import PRESETS, Preset

__all__ = ["PROVIDERS", "OpenAIPresetProvider", "OpenAIProvider"]

# Options a preset supplies. A configuration that leaves them out hands them over as
# None, which means "use the preset's", not "no value".
_PRESET_OPTIONS = ("base_url", "api_key", "models")


class OpenAIPresetProvider(OpenAICompatibleProvider):
    """An OpenAI-compatible provider that starts from its preset's defaults.

    Options given win over the preset; a hosted preset refuses to start without an
    API key, so a missing key shows at configuration time, not as a 401 mid-route.
    """

    preset: ClassVar[Preset]

    def __init__(
        self,
        config: OpenAICompatibleConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        config = self._apply_preset(config)
        if self.preset.requires_api_key and not config.api_key.strip():
            env = self.preset.api_key_env
            raise ConfigurationError(
                f"connector {self.preset.connector_id} needs an api_key and got none: set "
                f"api_key in its provider section, usually api_key: ${{secrets:{env}}} with "
                f"the key in the environment variable {env}",
                details={"connector": self.preset.connector_id, "option": "api_key"},
            )
        super().__init__(config, clock=clock, transport=transport)

    @classmethod
    def _apply_preset(
        cls, options: OpenAICompatibleConfig | Mapping[str, Any] | None
    ) -> OpenAICompatibleConfig:
        """The options as a config, the preset filling in whatever they leave out."""
        if isinstance(options, OpenAICompatibleConfig):
            return options
        given = {
            key: value
            for key, value in (options or {}).items()
            if not (value is None and key in _PRESET_OPTIONS)
        }
        config = load_options(
            OpenAICompatibleConfig,
            {"base_url": cls.preset.base_url, **given},
            connector=cls.preset.connector_id,
        )
        if "models" not in given:
            config = attrs.evolve(config, models=cls.preset.models)
        return config


def _provider_class(preset: Preset) -> type[OpenAIPresetProvider]:
    return type(
        preset.class_name,
        (OpenAIPresetProvider,),
        {
            "__doc__": f"The {preset.connector_id} provider: OpenAI's API at {preset.base_url}.",
            "__module__": __name__,
            "__qualname__": preset.class_name,
            "preset": preset,
        },
    )


PROVIDERS: dict[str, type[OpenAIPresetProvider]] = {
    preset.connector_id: _provider_class(preset) for preset in PRESETS
}
OpenAIProvider = PROVIDERS["openai.llm.v1"]
