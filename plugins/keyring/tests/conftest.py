"""Loads the ModelMesh connector kit, and gives every test a real file-backed keyring.

A headless machine has no OS keyring, so tests use ``keyrings.alt``'s plaintext file
backend (the one the ``keyring`` library falls back to where users install it), with its
file in the test's temporary directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring

pytest_plugins = ["modelmesh_cdk.testing.plugin"]


@pytest.fixture(autouse=True)
def file_keyring(tmp_path: Path) -> Iterator[PlaintextKeyring]:
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
