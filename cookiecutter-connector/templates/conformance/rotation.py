"""{{ cookiecutter.__class_name }} passes ModelMesh's standard rotation-policy tests."""

from modelmesh_cdk.testing.suites import RotationPolicyTests
from {{ cookiecutter.__package_name }}.connector import {{ cookiecutter.__class_name }}


class Test{{ cookiecutter.__class_name }}(RotationPolicyTests):
    connector_class = {{ cookiecutter.__class_name }}
