"""Secrets in AWS Secrets Manager through boto3.

``${secrets:NAME}`` reads the secret ``prefix + NAME``. A secret holding a JSON object
(the console's key/value form) is addressed per key as ``NAME#KEY``. Credentials come from
boto3's standard chain (environment, shared files, instance roles) and are never read,
logged or shown by this store. The calls block, which is what configuration loading
expects of every store.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs
import boto3
from botocore.exceptions import BotoCoreError, ClientError

from modelmesh.clock import Clock
from modelmesh.errors import ConfigurationError, ModelMeshError
from modelmesh.interfaces.secret_store import SecretNotFoundError
from modelmesh_cdk.base.secret_store import BaseSecretStore, SecretStoreConfig

__all__ = ["KEY_SEPARATOR", "AwsSecretsConfig", "AwsSecretsError", "AwsSecretsSecretStore"]

KEY_SEPARATOR = "#"
"""Splits ``NAME#KEY``; AWS secret names cannot contain it, so nothing is ambiguous."""

NOT_FOUND = "ResourceNotFoundException"


@attrs.frozen(kw_only=True)
class AwsSecretsConfig(SecretStoreConfig):
    """Which Secrets Manager to ask, and the prefix this configuration's secrets share."""

    region: str
    endpoint_url: str = ""
    prefix: str = ""


class AwsSecretsError(ModelMeshError):
    """Secrets Manager refused or failed; the message names the secret and the AWS code."""


class AwsSecretsSecretStore(BaseSecretStore):
    """One Secrets Manager client per store; management writes through to AWS, and
    invalidates the local cache of the secret it changed."""

    config_class = AwsSecretsConfig
    config: AwsSecretsConfig

    def __init__(
        self,
        config: AwsSecretsConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(config, clock=clock)
        if not self.config.region:
            raise ConfigurationError("region must name an AWS region, e.g. us-east-1")
        self._client = boto3.session.Session().client(
            "secretsmanager",
            region_name=self.config.region,
            endpoint_url=self.config.endpoint_url or None,
        )

    # Resolution

    def _resolve(self, name: str) -> str | None:
        secret_name, separator, key = name.partition(KEY_SEPARATOR)
        try:
            response = self._client.get_secret_value(SecretId=self._id(secret_name))
        except ClientError as error:
            if _code(error) == NOT_FOUND:
                return None
            raise self._error("read", secret_name, error) from None
        except BotoCoreError as error:
            raise self._error("read", secret_name, error) from None
        value = response.get("SecretString")
        if value is None:
            raise AwsSecretsError(
                f"AWS secret {self._id(secret_name)!r} holds binary data; this store reads "
                "text secrets only: store it as a string"
            )
        if not separator:
            return value
        try:
            fields = json.loads(value)
        except ValueError:
            fields = None
        if not isinstance(fields, dict):
            raise AwsSecretsError(
                f"cannot read {name!r}: AWS secret {self._id(secret_name)!r} is not a JSON "
                f"object; drop '{KEY_SEPARATOR}{key}' to read it whole"
            )
        field = fields.get(key)
        if field is None:
            return None
        return field if isinstance(field, str) else json.dumps(field)

    # Management

    def set(self, name: str, value: str) -> None:
        secret_id = self._id(self._plain(name))
        try:
            try:
                self._client.put_secret_value(SecretId=secret_id, SecretString=value)
            except ClientError as error:
                if _code(error) != NOT_FOUND:
                    raise
                self._client.create_secret(Name=secret_id, SecretString=value)
        except (ClientError, BotoCoreError) as error:
            raise self._error("write", name, error) from None
        self._forget(name)

    def list(self) -> list[str]:
        paginator = self._client.get_paginator("list_secrets")
        filters = [{"Key": "name", "Values": [self.config.prefix]}] if self.config.prefix else []
        names: list[str] = []
        try:
            for page in paginator.paginate(Filters=filters):
                names.extend(entry["Name"] for entry in page.get("SecretList", []))
        except (ClientError, BotoCoreError) as error:
            raise self._error("list", f"{self.config.prefix}*", error) from None
        prefix = self.config.prefix
        return sorted(name[len(prefix) :] for name in names if name.startswith(prefix))

    def delete(self, name: str) -> None:
        secret_id = self._id(self._plain(name))
        try:
            # A forced delete of an absent secret succeeds silently: ask first.
            self._client.describe_secret(SecretId=secret_id)
            self._client.delete_secret(SecretId=secret_id, ForceDeleteWithoutRecovery=True)
        except ClientError as error:
            if _code(error) == NOT_FOUND:
                raise SecretNotFoundError(name, store=type(self).__name__) from None
            raise self._error("delete", name, error) from None
        except BotoCoreError as error:
            raise self._error("delete", name, error) from None
        self._forget(name)

    def _repr_details(self) -> str:
        return (
            f"region={self.config.region!r}, prefix={self.config.prefix!r}, "
            f"endpoint_url={self.config.endpoint_url!r}"
        )

    # Helpers

    def _id(self, name: str) -> str:
        return self.config.prefix + name

    def _plain(self, name: str) -> str:
        if KEY_SEPARATOR in name:
            raise ValueError(
                f"{name!r}: management acts on whole secrets; '{KEY_SEPARATOR}KEY' is for "
                "reading one key of a JSON secret"
            )
        return name

    def _forget(self, name: str) -> None:
        """Drop the cached secret and any ``name#key`` read from it."""
        self._cache_invalidate(name)
        self._cache_invalidate_prefix(name + KEY_SEPARATOR)

    def _error(self, action: str, name: str, error: Exception) -> AwsSecretsError:
        # Only the code: AWS messages may quote the request, which can hold a value.
        code = _code(error) if isinstance(error, ClientError) else type(error).__name__
        return AwsSecretsError(
            f"AWS Secrets Manager ({self.config.region}): cannot {action} secret "
            f"{self._id(name)!r}: {code}; check the credentials' permissions "
            "(secretsmanager:*) and that the secret is not scheduled for deletion"
        )


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "UnknownError"))
