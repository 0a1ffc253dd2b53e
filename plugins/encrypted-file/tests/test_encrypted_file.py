"""What the encrypted file guarantees beyond the standard suite: the envelope it writes,
the key it derives, and clear errors for a wrong key or a modified file."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmesh.errors import ConfigurationError
from modelmesh_plugin_encrypted_file.connector import (
    DEFAULT_KDF_ITERATIONS,
    EncryptedFileConfig,
    EncryptedFileError,
    EncryptedFileSecretStore,
)

PASSPHRASE = "correct horse battery staple"
RAW_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
VALUE = "sk-live-9d8c7b6a5f"


def store(path: Path, **options: Any) -> EncryptedFileSecretStore:
    options.setdefault("kdf_iterations", 1_000)
    if "encryption_key" not in options:
        options.setdefault("passphrase", PASSPHRASE)
    return EncryptedFileSecretStore({"file_path": str(path), **options})


def envelope(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "secrets.enc.json"


def test_production_default_is_600000_iterations() -> None:
    assert EncryptedFileConfig(file_path="x").kdf_iterations == DEFAULT_KDF_ITERATIONS == 600_000


def test_the_file_records_the_iterations_it_was_written_with(path: Path) -> None:
    store(path, kdf_iterations=1_234).set("A", VALUE)
    assert envelope(path)["iterations"] == 1_234


def test_the_envelope_names_its_format_and_parameters(path: Path) -> None:
    store(path).set("A", VALUE)
    written = envelope(path)
    assert (written["version"], written["kdf"], written["cipher"]) == (
        1,
        "pbkdf2-hmac-sha256",
        "aes-256-gcm",
    )
    assert len(base64.b64decode(written["salt"])) == 16
    assert len(base64.b64decode(written["nonce"])) == 12


def test_no_value_or_name_is_written_in_clear(path: Path) -> None:
    store(path).set("OPENAI_API_KEY", VALUE)
    raw = path.read_text(encoding="utf-8")
    assert VALUE not in raw
    assert "OPENAI_API_KEY" not in raw


def test_every_write_uses_a_fresh_nonce(path: Path) -> None:
    writer = store(path)
    writer.set("A", VALUE)
    first = envelope(path)["nonce"]
    writer.set("A", VALUE)
    assert envelope(path)["nonce"] != first


def test_another_store_with_the_same_passphrase_reads_the_file(path: Path) -> None:
    store(path).set("A", VALUE)
    assert store(path, kdf_iterations=5_000).get("A") == VALUE


def test_a_raw_key_reads_what_it_wrote(path: Path) -> None:
    store(path, encryption_key=RAW_KEY).set("A", VALUE)
    assert store(path, encryption_key=RAW_KEY.upper()).get("A") == VALUE


def test_wrong_passphrase_is_a_clear_error_naming_the_file(path: Path) -> None:
    store(path).set("A", VALUE)
    with pytest.raises(EncryptedFileError) as caught:
        store(path, passphrase="not the passphrase").get("A")
    assert str(caught.value) == (
        f"cannot decrypt {path}: wrong passphrase or encryption key, or the file was modified"
    )
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_wrong_raw_key_is_the_same_clear_error(path: Path) -> None:
    store(path, encryption_key=RAW_KEY).set("A", VALUE)
    with pytest.raises(EncryptedFileError, match="wrong passphrase or encryption key"):
        store(path, encryption_key="ff" * 32).get("A")


@pytest.mark.parametrize("field", ["ciphertext", "nonce", "salt"])
def test_a_flipped_bit_is_detected(path: Path, field: str) -> None:
    store(path).set("A", VALUE)
    written = envelope(path)
    raw = bytearray(base64.b64decode(written[field]))
    raw[0] ^= 0x01
    written[field] = base64.b64encode(bytes(raw)).decode()
    path.write_text(json.dumps(written), encoding="utf-8")
    with pytest.raises(EncryptedFileError, match="or the file was modified"):
        store(path).get("A")


def test_lowering_the_recorded_iterations_is_detected(path: Path) -> None:
    store(path, kdf_iterations=2_000).set("A", VALUE)
    written = envelope(path)
    written["iterations"] = 1_000
    path.write_text(json.dumps(written), encoding="utf-8")
    with pytest.raises(EncryptedFileError, match="or the file was modified"):
        store(path).get("A")


def test_a_file_that_is_not_an_envelope_is_named(path: Path) -> None:
    path.write_text("OPENAI_API_KEY=sk-plain\n", encoding="utf-8")
    with pytest.raises(EncryptedFileError, match="not a JSON envelope") as caught:
        store(path).get("OPENAI_API_KEY")
    assert str(path) in str(caught.value)


def test_an_unknown_format_version_asks_for_an_upgrade(path: Path) -> None:
    store(path).set("A", VALUE)
    written = envelope(path)
    written["version"] = 2
    path.write_text(json.dumps(written), encoding="utf-8")
    with pytest.raises(EncryptedFileError, match="format version 2 is not supported"):
        store(path).get("A")


def test_a_missing_file_is_named_on_read(path: Path) -> None:
    with pytest.raises(EncryptedFileError, match="does not exist") as caught:
        store(path).get("A")
    assert str(path) in str(caught.value)


def test_a_missing_file_is_an_empty_store_for_management(path: Path) -> None:
    assert store(path).list() == []
    assert not path.exists()


def test_first_set_creates_the_file(path: Path) -> None:
    store(path).set("A", VALUE)
    assert store(path).list() == ["A"]


@pytest.mark.parametrize(
    ("key", "reason"),
    [("abc", "64 hex digits"), ("zz" * 32, "only hex digits")],
)
def test_a_malformed_raw_key_is_refused(path: Path, key: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        store(path, encryption_key=key)


def test_neither_passphrase_nor_key_is_refused(path: Path) -> None:
    with pytest.raises(ConfigurationError, match="set passphrase"):
        EncryptedFileSecretStore({"file_path": str(path)})


def test_iterations_below_the_floor_are_refused(path: Path) -> None:
    with pytest.raises(ConfigurationError, match="at least 1000"):
        store(path, kdf_iterations=999)


def test_repr_shows_neither_passphrase_nor_key(path: Path) -> None:
    shown = repr(store(path)) + repr(store(path).config)
    shown += repr(store(path, encryption_key=RAW_KEY).config)
    assert PASSPHRASE not in shown
    assert RAW_KEY not in shown


@settings(max_examples=20, deadline=None)
@given(secrets=st.dictionaries(st.text(min_size=1), st.text(), max_size=5))
def test_any_secrets_round_trip(tmp_path_factory: pytest.TempPathFactory, secrets: dict) -> None:
    path = tmp_path_factory.mktemp("roundtrip") / "s.enc.json"
    writer = store(path)
    for name, value in secrets.items():
        writer.set(name, value)
    reader = store(path)
    assert {name: reader.get(name) for name in reader.list()} == secrets
