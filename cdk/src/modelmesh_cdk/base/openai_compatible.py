"""Providers that speak OpenAI's API as is: configuration, no code.

Most vendors and local servers (vLLM, Ollama, LM Studio, Groq, Together, ...) accept
OpenAI's request and answer in its shape, so the base provider already does all the
work; this class adds the two headers some of them want.
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from modelmesh_cdk.base.provider import BaseProvider, BaseProviderConfig

__all__ = ["OpenAICompatibleConfig", "OpenAICompatibleProvider"]


@attrs.frozen(kw_only=True)
class OpenAICompatibleConfig(BaseProviderConfig):
    """``organization`` is sent as ``OpenAI-Organization``, ``api_version`` as
    ``api-version``, each only when set."""

    organization: str | None = None
    api_version: str | None = None


class OpenAICompatibleProvider(BaseProvider):
    """A provider for any OpenAI-compatible endpoint, built from options alone."""

    config_class: ClassVar[type[BaseProviderConfig]] = OpenAICompatibleConfig
    config: OpenAICompatibleConfig

    def _build_headers(self) -> dict[str, str]:
        headers = super()._build_headers()
        if self.config.organization:
            headers["OpenAI-Organization"] = self.config.organization
        if self.config.api_version:
            headers["api-version"] = self.config.api_version
        return headers
