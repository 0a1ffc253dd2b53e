"""Providers for JSON APIs that are not OpenAI-shaped.

Such an API differs in where a request goes and what its body and answer look like;
everything else (one attempt per routed call, classified errors, deadlines, rate-limit
headers, catalogue, pricing) stays the base provider's. A subclass writes the two
translations and nothing more.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import attrs

from modelmesh.interfaces.provider import CompletionRequest, CompletionResponse
from modelmesh_cdk.base.provider import BaseProvider, BaseProviderConfig

__all__ = ["HttpApiProvider", "HttpApiProviderConfig"]

FORM = "application/x-www-form-urlencoded"


@attrs.frozen(kw_only=True)
class HttpApiProviderConfig(BaseProviderConfig):
    """``content_type`` is how request bodies are encoded: JSON unless set to
    ``application/x-www-form-urlencoded`` (a mapping sent as a form); a body that is
    already ``bytes`` or ``str`` is sent as given, under this content type."""

    content_type: str = "application/json"


class HttpApiProvider(BaseProvider, abc.ABC):
    """Override ``_translate_request`` and ``_translate_response``; streaming also
    goes through ``_translate_request`` (the request has ``stream=True``) and reads
    frames with ``_parse_sse_chunk``."""

    config_class: ClassVar[type[BaseProviderConfig]] = HttpApiProviderConfig
    config: HttpApiProviderConfig

    @abc.abstractmethod
    def _translate_request(self, request: CompletionRequest) -> tuple[str, Any]:
        """The path (below the base URL) and the body of the upstream call."""

    @abc.abstractmethod
    def _translate_response(self, data: Any, request: CompletionRequest) -> CompletionResponse:
        """The upstream's parsed JSON answer as an OpenAI-shaped response."""

    def _build_headers(self) -> dict[str, str]:
        return {**super()._build_headers(), "Content-Type": self.config.content_type}

    def _body_arguments(self, body: Any) -> dict[str, Any]:
        if isinstance(body, bytes | str):
            return {"content": body}
        if self.config.content_type == FORM:
            return {"data": body}
        return super()._body_arguments(body)
