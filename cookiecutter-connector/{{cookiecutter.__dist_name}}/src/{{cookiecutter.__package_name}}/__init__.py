"""{{ cookiecutter.description.rstrip('.') }}.

The ModelMesh {{ cookiecutter.connector_type | replace('_', ' ') }} connector {{ cookiecutter.connector_id }}.
"""

from {{ cookiecutter.__package_name }}.connector import {{ cookiecutter.__class_name }}

__all__ = ["{{ cookiecutter.__class_name }}"]
__version__ = "0.1.0"
