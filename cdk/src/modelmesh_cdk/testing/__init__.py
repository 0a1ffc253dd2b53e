"""Testing tools for connector authors: conformance suites and a fake upstream.

``modelmesh_cdk.testing.plugin`` is the pytest plugin (fixtures and the guard) a
connector's conftest loads; ``modelmesh_cdk.testing.suites`` holds one standard test
class per connector type; ``modelmesh_cdk.testing.fake_upstream`` is a scriptable
OpenAI-compatible server. Nothing is imported here, so that the fake upstream runs as
``python -m modelmesh_cdk.testing.fake_upstream`` where pytest is not installed.
"""
