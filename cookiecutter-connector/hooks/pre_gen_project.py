"""Refuse a plugin name or connector ID that would render a broken distribution.

Runs before any file is written, with the interpreter that runs cookiecutter, and
applies the same checks as ``modelmesh new-connector``.
"""

import sys

from modelmesh_cdk.new_connector import input_problem

problem = input_problem(
    plugin_name={{ cookiecutter.plugin_name | tojson }},
    connector_id={{ cookiecutter.connector_id | tojson }},
)
if problem:
    sys.exit(f"error: {problem}")
