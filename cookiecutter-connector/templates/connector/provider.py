"""{{ cookiecutter.description }}"""

from modelmesh_cdk.base.openai_compatible import OpenAICompatibleProvider


class {{ cookiecutter.__class_name }}(OpenAICompatibleProvider):
    """A service that speaks OpenAI's chat-completion protocol.

    The base class sends requests, streams answers, classifies every failure, reads
    rate-limit headers and lists models; options (base_url, api_key, models, timeout,
    ...) are all it needs. Where the service departs from OpenAI's protocol, override
    only the hook that differs.
    """

    # Fill in: the hooks where the service differs, e.g. authentication:
    #
    #     def _build_headers(self) -> dict[str, str]:
    #         headers = super()._build_headers()
    #         headers.pop("Authorization", None)
    #         headers["X-Api-Key"] = self.config.api_key
    #         return headers
    #
    # Others: _build_request_payload(request), _parse_response(data),
    # _get_completion_endpoint(), _parse_sse_chunk(data).
