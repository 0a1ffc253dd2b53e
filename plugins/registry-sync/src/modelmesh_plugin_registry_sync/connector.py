"""Keeps the model registry in step with what providers list"""

from modelmesh_cdk.base.discovery import HttpHealthDiscovery


class RegistrySyncDiscovery(HttpHealthDiscovery):
    """Probes providers' health and syncs their model catalogues.

    The base class probes each provider with a GET of its URL (the ``provider_urls``
    option, or ``register_provider_url``), reads the answer as an OpenAI-style model
    list, and keeps the health history, availability and degradation.
    """

    # Fill in: where a service is not OpenAI-shaped, override
    #
    #     async def _discover_provider_models(self, provider_id: str) -> Sequence[str]:
    #         ...  # the model names the provider serves now
    #
    #     async def _probe_provider(self, provider_id: str) -> ProbeResult:
    #         ...  # one health check; an exception counts as a failed probe
