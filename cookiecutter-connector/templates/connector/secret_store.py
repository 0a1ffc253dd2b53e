"""{{ cookiecutter.description }}"""

from modelmesh_cdk.base.secret_store import BaseSecretStore


class {{ cookiecutter.__class_name }}(BaseSecretStore):
    """Resolves ``${secrets:NAME}`` references in a ModelMesh configuration.

    The base class caches values (cache_enabled, cache_ttl), fails by name on a missing
    secret (fail_on_missing), never shows a value in a repr or an error, and manages the
    in-memory ``secrets`` option (set, list, delete).
    """

    def _resolve(self, name: str) -> str | None:
        # Fill in: read the secret from your backend (a vault, a cloud secret manager,
        # a file) and return None when it has no such secret. As rendered, it reads
        # the ``secrets`` option.
        return super()._resolve(name)
