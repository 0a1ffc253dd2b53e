"""{{ cookiecutter.__class_name }} passes ModelMesh's standard storage tests."""

from pathlib import Path
from typing import Any

from modelmesh.clock import ManualClock
from modelmesh_cdk.testing.suites import StorageTests
from {{ cookiecutter.__package_name }}.connector import {{ cookiecutter.__class_name }}


class Test{{ cookiecutter.__class_name }}(StorageTests):
    connector_class = {{ cookiecutter.__class_name }}

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        # A fresh, empty store per call; a file-based backend keeps its files in ``workdir``.
        return {}

    @property
    def clock(self) -> ManualClock:
        # Lets the suite expire locks without waiting.
        return ManualClock()
