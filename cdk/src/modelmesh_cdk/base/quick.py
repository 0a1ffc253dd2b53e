"""The shortest way to a working provider: a base URL and, maybe, an API key.

With no models configured, the provider asks the upstream's ``GET /v1/models`` once
and offers each listed model for chat completion, so pointing the mesh at a local
server is one line of Python or three of YAML.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from modelmesh_cdk.base.openai_compatible import OpenAICompatibleConfig, OpenAICompatibleProvider
from modelmesh_cdk.base.provider import BaseProviderConfig

__all__ = ["QuickProvider", "QuickProviderConfig", "create_quick_provider"]


@attrs.frozen(kw_only=True)
class QuickProviderConfig(OpenAICompatibleConfig):
    """Every option but ``base_url`` has a default; ``models`` may stay empty."""


class QuickProvider(OpenAICompatibleProvider):
    """An OpenAI-compatible provider whose catalogue defaults to what the upstream lists."""

    config_class: ClassVar[type[BaseProviderConfig]] = QuickProviderConfig
    config: QuickProviderConfig


def create_quick_provider(base_url: str, api_key: str = "", **options: Any) -> QuickProvider:
    """A QuickProvider for ``base_url``; ``options`` are any other provider options
    (``timeout``, ``models``, ``headers``, ...), checked like YAML options."""
    return QuickProvider({"base_url": base_url, "api_key": api_key, **options})
