"""{{ cookiecutter.__class_name }} passes ModelMesh's standard provider tests,
against the kit's fake upstream."""

from typing import Any

from modelmesh_cdk.testing.suites import ProviderTests
from {{ cookiecutter.__package_name }}.connector import {{ cookiecutter.__class_name }}


class Test{{ cookiecutter.__class_name }}(ProviderTests):
    connector_class = {{ cookiecutter.__class_name }}

    def connector_options(self, upstream_url: str) -> dict[str, Any]:
        return {"base_url": upstream_url, "api_key": "sk-test"}
