"""Redis storage: entries as hashes, expiring locks shared by every instance.

The ModelMesh storage connector redis.redis.v1.
"""

from modelmesh_plugin_redis.connector import RedisStorage

__all__ = ["RedisStorage"]
__version__ = "0.1.0"
