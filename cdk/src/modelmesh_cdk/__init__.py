"""The ModelMesh connector development kit.

Connectors derive from one base class per connector type (``modelmesh_cdk.base``) and
compose mixins (``modelmesh_cdk.mixins``); ``modelmesh_cdk.testing`` holds the
conformance suites and the fake upstream server.
"""

__version__ = "0.1.0"
