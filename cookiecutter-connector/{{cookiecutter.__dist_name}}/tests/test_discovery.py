"""ModelMesh finds the installed distribution: it lists {{ cookiecutter.connector_id }} from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from {{ cookiecutter.__package_name }}.connector import {{ cookiecutter.__class_name }}


class TestInstalled{{ cookiecutter.__class_name }}(InstalledConnectorTests):
    connector_id = "{{ cookiecutter.connector_id }}"
    connector_class = {{ cookiecutter.__class_name }}
    distribution = "{{ cookiecutter.__dist_name }}"
    # The README's snippet.
    config = """\
{% include "activate/" ~ cookiecutter.connector_type ~ ".yaml" %}
"""
