"""{{ cookiecutter.description }}"""

from collections.abc import Mapping

from modelmesh_cdk.base.storage import BaseStorage, StoredEntry


class {{ cookiecutter.__class_name }}(BaseStorage):
    """Keeps ModelMesh's state: persistence, inventory, stat and expiring locks.

    The base class serves every call from memory under one asyncio lock; a backend
    supplies the two hooks below. A backend with locking of its own (a database,
    Redis) overrides acquire, release and is_locked as well.
    """

    async def _load_records(self) -> dict[str, StoredEntry]:
        # Fill in: read every stored entry from your backend. Called once, before the
        # first access. As rendered, the store starts empty.
        return {}

    async def _persist_records(self, records: Mapping[str, StoredEntry]) -> None:
        # Fill in: write ``records``, the complete new contents, to your backend before
        # a save or delete takes effect; raising cancels the change. As rendered, the
        # state lives in memory only.
        pass
