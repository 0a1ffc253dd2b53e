"""ModelMesh finds the installed distribution: it lists redis.redis.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_redis.connector import RedisStorage


class TestInstalledRedisStorage(InstalledConnectorTests):
    connector_id = "redis.redis.v1"
    connector_class = RedisStorage
    distribution = "modelmesh-plugin-redis"
    # The README's snippet.
    config = """\
storage:
  connector: redis.redis.v1
  sync_policy: periodic
  sync_interval: 5m
"""
