"""{{ cookiecutter.__class_name }} passes ModelMesh's standard secret-store tests."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelmesh_cdk.testing.suites import SecretStoreTests
from {{ cookiecutter.__package_name }}.connector import {{ cookiecutter.__class_name }}


class Test{{ cookiecutter.__class_name }}(SecretStoreTests):
    connector_class = {{ cookiecutter.__class_name }}

    def connector_options(self, secrets: Mapping[str, str], workdir: Path) -> dict[str, Any]:
        # When _resolve reads a backend, put ``secrets`` there (files go in ``workdir``).
        return {"secrets": dict(secrets)}
