"""The one place boto3 clients are built: credentials, retries, endpoint, and two
guards every call passes through: a count of requests sent, and a refusal of any
operation that is not a read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from botocore.config import Config

from partner_nhi.connectors.aws.settings import AwsSettings
from partner_nhi.contract import CallCounter

# Reads, plus the two calls a read-only scan needs that do not start with Get/List.
READ_PREFIXES = ("Get", "List", "Describe")
READ_EXCEPTIONS = frozenset({"GenerateCredentialReport", "AssumeRole"})


class MutatingCallRefused(RuntimeError):
    """A connector tried to call an AWS API that changes something."""


def is_read_only(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES) or operation in READ_EXCEPTIONS


def _refuse_writes(model: Any, **_: Any) -> None:
    if not is_read_only(model.name):
        raise MutatingCallRefused(f"partner-nhi is read-only: refused {model.name}")


def _counter(calls: CallCounter, service: str) -> Callable[..., None]:
    def count(event_name: str, **_: Any) -> None:
        calls.add(f"{service}:{event_name.rsplit('.', 1)[-1]}")

    return count


class ClientFactory:
    """Builds clients for one scope; every client is guarded and counted.

    Every scope of a run shares one boto3 session (``session``): an assumed role's
    credentials are given to each client, not to a session of its own, since each new session
    loads and keeps its own copy of the service models (about 25 MB of memory and 0.1 s of CPU
    per scope, with IAM and STS). boto3 sessions are not thread-safe, so clients are
    created under one lock; the clients themselves are."""

    _creating = threading.Lock()

    def __init__(
        self,
        settings: AwsSettings,
        calls: CallCounter,
        session: boto3.Session | None = None,
        credentials: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.calls = calls
        self.session = session or new_session(settings)
        self.credentials = dict(credentials or {})
        self.config = Config(
            retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
            connect_timeout=10,
            read_timeout=60,
            user_agent_extra="partner-nhi",
        )

    def client(self, service: str) -> Any:
        with self._creating:
            client = self.session.client(
                service, config=self.config, endpoint_url=self.settings.endpoint_url, **self.credentials
            )
        client.meta.events.register("before-call", _refuse_writes)
        client.meta.events.register("before-send", _counter(self.calls, service))
        return client

    def assume(self, role_arn: str, external_id: str | None) -> ClientFactory:
        """A factory for another account, through STS AssumeRole."""
        params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": "partner-nhi", "DurationSeconds": 3600}
        if external_id:
            params["ExternalId"] = external_id
        credentials = self.client("sts").assume_role(**params)["Credentials"]
        assumed = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
        return ClientFactory(self.settings, self.calls, self.session, assumed)


def new_session(settings: AwsSettings) -> boto3.Session:
    """The session of the configured profile and region (credentials from the usual chain)."""
    return boto3.Session(profile_name=settings.profile, region_name=settings.region)
