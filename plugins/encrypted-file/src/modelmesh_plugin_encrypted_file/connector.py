"""Secrets in one AES-256-GCM encrypted file, unlocked by a passphrase or a raw key.

The file is a small JSON envelope so the format can evolve without guessing: it names
its format version, the key derivation and its parameters, and carries the nonce and
the ciphertext in base64. The header is bound to the ciphertext as associated data, so
editing any of it (fewer iterations, another salt) fails decryption like any other
tampering. The plaintext is a JSON object mapping secret names to values.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

import attrs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from modelmesh.clock import Clock
from modelmesh.errors import ConfigurationError, ModelMeshError
from modelmesh.interfaces.secret_store import SecretNotFoundError
from modelmesh_cdk.base.secret_store import BaseSecretStore, SecretStoreConfig
from modelmesh_cdk.mixins.file_serializer import FileSerializerMixin

__all__ = [
    "DEFAULT_KDF_ITERATIONS",
    "FORMAT_VERSION",
    "EncryptedFileConfig",
    "EncryptedFileError",
    "EncryptedFileSecretStore",
]

FORMAT_VERSION = 1
DEFAULT_KDF_ITERATIONS = 600_000
"""PBKDF2-HMAC-SHA256 rounds for a passphrase: the current OWASP recommendation."""
MIN_KDF_ITERATIONS = 1_000
"""The floor of ``kdf_iterations``: low values exist only so test suites stay fast."""
KDF_PBKDF2 = "pbkdf2-hmac-sha256"
KDF_RAW = "raw-key"
CIPHER = "aes-256-gcm"
SALT_BYTES = 16
NONCE_BYTES = 12
KEY_BYTES = 32


def _hidden(value: str) -> str:
    return "<set>" if value else "<unset>"


def _at_least_floor(_instance: Any, attribute: attrs.Attribute[int], value: int) -> None:
    if value < MIN_KDF_ITERATIONS:
        raise ValueError(
            f"{attribute.name} must be at least {MIN_KDF_ITERATIONS} (got {value}); "
            f"leave it at {DEFAULT_KDF_ITERATIONS} outside tests"
        )


@attrs.frozen(kw_only=True)
class EncryptedFileConfig(SecretStoreConfig):
    """Where the file is and how to unlock it; ``encryption_key`` wins over ``passphrase``."""

    file_path: str
    passphrase: str = attrs.field(default="", repr=_hidden)
    encryption_key: str = attrs.field(default="", repr=_hidden)
    kdf_iterations: int = attrs.field(default=DEFAULT_KDF_ITERATIONS, validator=_at_least_floor)


class EncryptedFileError(ModelMeshError):
    """The encrypted file cannot be read or written; the message names the file."""


def _raw_key(hex_key: str) -> bytes:
    """The 32-byte key written as 64 hex digits; ConfigurationError naming what is wrong."""
    text = hex_key.strip()
    if len(text) != 2 * KEY_BYTES:
        raise ConfigurationError(
            f"encryption_key must be {2 * KEY_BYTES} hex digits (a 256-bit key), "
            f"got {len(text)} characters; generate one with: "
            'python -c "import secrets; print(secrets.token_hex(32))"'
        )
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ConfigurationError(
            "encryption_key must hold only hex digits (0-9, a-f); generate one with: "
            'python -c "import secrets; print(secrets.token_hex(32))"'
        ) from None


class EncryptedFileSecretStore(FileSerializerMixin, BaseSecretStore):
    """Reads the file on every uncached lookup, so an edit by another process is seen
    once the cache entry expires; management re-encrypts the whole file atomically."""

    config_class = EncryptedFileConfig
    config: EncryptedFileConfig

    def __init__(
        self,
        config: EncryptedFileConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(config, clock=clock)
        self._path = Path(self.config.file_path).expanduser()
        self._key = _raw_key(self.config.encryption_key) if self.config.encryption_key else None
        if self._key is None and not self.config.passphrase:
            raise ConfigurationError(
                f"encrypted secrets file {self._path}: set passphrase (for example "
                "${MODELMESH_ENCRYPTION_PASSPHRASE}) or encryption_key"
            )
        # Deriving a key costs DEFAULT_KDF_ITERATIONS hashes: do it once per salt.
        self._derived: dict[tuple[bytes, int], bytes] = {}
        self._lock = threading.Lock()

    # Resolution

    def _resolve(self, name: str) -> str | None:
        if not self._path.exists():
            raise EncryptedFileError(
                f"encrypted secrets file {self._path} does not exist; check file_path, "
                "or create it by setting a secret through the store's management"
            )
        return self._load()[0].get(name)

    # Management

    def set(self, name: str, value: str) -> None:
        with self._lock:
            secrets, salt = self._load_or_empty()
            secrets[name] = value
            self._save(secrets, salt)
        self._cache_invalidate(name)

    def list(self) -> list[str]:
        with self._lock:
            return sorted(self._load_or_empty()[0])

    def delete(self, name: str) -> None:
        with self._lock:
            secrets, salt = self._load_or_empty()
            if name not in secrets:
                raise SecretNotFoundError(name, store=type(self).__name__)
            del secrets[name]
            self._save(secrets, salt)
        self._cache_invalidate(name)

    def _repr_details(self) -> str:
        return f"file_path={str(self._path)!r}"

    # The file

    def _load_or_empty(self) -> tuple[dict[str, str], bytes | None]:
        if not self._path.exists():
            return {}, None
        return self._load()

    def _load(self) -> tuple[dict[str, str], bytes | None]:
        """The secrets and the file's salt (None under a raw key)."""
        envelope = self._read_envelope()
        kdf = envelope.get("kdf")
        salt: bytes | None = None
        if kdf == KDF_PBKDF2:
            if self._key is not None:
                self._fail("it was encrypted with a passphrase; set passphrase, not encryption_key")
            salt = self._b64(envelope, "salt")
            iterations = envelope.get("iterations")
            if not isinstance(iterations, int) or iterations < 1:
                self._fail("its 'iterations' field is not a positive integer")
            key = self._derive(salt, iterations)
        elif kdf == KDF_RAW:
            if self._key is None:
                self._fail("it was encrypted with a raw key; set encryption_key")
            key = self._key
        else:
            self._fail(f"unknown key derivation {kdf!r}")
        nonce = self._b64(envelope, "nonce")
        ciphertext = self._b64(envelope, "ciphertext")
        try:
            plaintext = AESGCM(key).decrypt(nonce, ciphertext, _header_bytes(envelope))
        except (InvalidTag, ValueError):
            raise EncryptedFileError(
                f"cannot decrypt {self._path}: wrong passphrase or encryption key, "
                "or the file was modified"
            ) from None
        try:
            secrets = json.loads(plaintext.decode("utf-8"))
        except ValueError:
            secrets = None
        if not isinstance(secrets, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in secrets.items()
        ):
            self._fail("its decrypted content is not a JSON object of string values")
        return secrets, salt

    def _save(self, secrets: Mapping[str, str], salt: bytes | None) -> None:
        if self._key is not None:
            header: dict[str, Any] = {"version": FORMAT_VERSION, "cipher": CIPHER, "kdf": KDF_RAW}
            key = self._key
        else:
            iterations = self.config.kdf_iterations
            if salt is None or (salt, iterations) not in self._derived:
                salt = os.urandom(SALT_BYTES)
            header = {
                "version": FORMAT_VERSION,
                "cipher": CIPHER,
                "kdf": KDF_PBKDF2,
                "iterations": iterations,
                "salt": _b64encode(salt),
            }
            key = self._derive(salt, iterations)
        nonce = os.urandom(NONCE_BYTES)
        plaintext = json.dumps(dict(secrets), ensure_ascii=False).encode("utf-8")
        ciphertext = AESGCM(key).encrypt(nonce, plaintext, _header_bytes(header))
        envelope = {**header, "nonce": _b64encode(nonce), "ciphertext": _b64encode(ciphertext)}
        self._atomic_write(self._path, self._serialize(envelope))

    def _read_envelope(self) -> dict[str, Any]:
        try:
            raw = self._read_file(self._path)
        except OSError as error:
            raise EncryptedFileError(
                f"cannot read encrypted secrets file {self._path}: {error.strerror}"
            ) from None
        try:
            envelope = self._deserialize(raw)
        except ValueError:
            envelope = None
        if not isinstance(envelope, dict):
            self._fail("it is not a JSON envelope written by this store")
        if envelope.get("version") != FORMAT_VERSION:
            self._fail(
                f"its format version {envelope.get('version')!r} is not supported "
                f"(this store reads version {FORMAT_VERSION}); upgrade the plugin"
            )
        if envelope.get("cipher") != CIPHER:
            self._fail(f"its cipher {envelope.get('cipher')!r} is not {CIPHER}")
        return envelope

    def _derive(self, salt: bytes, iterations: int) -> bytes:
        cached = self._derived.get((salt, iterations))
        if cached is None:
            kdf = PBKDF2HMAC(
                algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, iterations=iterations
            )
            cached = kdf.derive(self.config.passphrase.encode("utf-8"))
            self._derived = {(salt, iterations): cached}
        return cached

    def _b64(self, envelope: Mapping[str, Any], field: str) -> bytes:
        try:
            return base64.b64decode(str(envelope[field]), validate=True)
        except (KeyError, binascii.Error):
            self._fail(f"its {field!r} field is missing or not base64")

    def _fail(self, reason: str) -> NoReturn:
        raise EncryptedFileError(f"cannot read encrypted secrets file {self._path}: {reason}")


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _header_bytes(envelope: Mapping[str, Any]) -> bytes:
    """Every field but the nonce and ciphertext, canonically encoded, as associated data."""
    header = {k: v for k, v in envelope.items() if k not in ("nonce", "ciphertext")}
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
