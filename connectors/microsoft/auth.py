"""Where Graph and ARM tokens come from.

Production: azure-identity's ``DefaultAzureCredential`` (environment, workload
identity in a container, managed identity, Azure CLI). Emulators and CI: a
static bearer token from ``PARTNER_NHI_AZURE_ACCESS_TOKEN``, accepted only when
every endpoint is provably on the loopback interface as every client reads it
(:func:`partner_nhi.endpoints.loopback_refusal`), so a token meant for a local
emulator can never be sent to a real cloud (and a real token is never taken
from the YAML). Links and redirects stay on the configured endpoints
(:mod:`connectors.same_origin`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential

from partner_nhi.contract import ConfigError, loopback_refusal

TOKEN_ENV = "PARTNER_NHI_AZURE_ACCESS_TOKEN"  # noqa: S105 (a variable name, not a secret)


class StaticTokenCredential:
    """A ``TokenCredential`` that hands out one fixed token (emulator mode)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)


def static_token(endpoints: Iterable[str]) -> str | None:
    """The emulator token from the environment, refused for a non-loopback endpoint."""
    token = os.environ.get(TOKEN_ENV)
    if not token:
        return None
    refusals = [f"{url!r} ({reason})" for url in endpoints if (reason := loopback_refusal(url)) is not None]
    if refusals:
        raise ConfigError(f"{TOKEN_ENV} is for local emulators only; refusing to send it to {'; '.join(refusals)}")
    return token


def close_credential(credential: TokenCredential) -> None:
    """Release what a credential holds (azure-identity's keep HTTP sessions)."""
    close = getattr(credential, "close", None)
    if callable(close):
        close()


def credential_for(endpoints: Iterable[str]) -> TokenCredential:
    """The static emulator credential when configured, else ``DefaultAzureCredential``."""
    token = static_token(endpoints)
    if token is not None:
        return StaticTokenCredential(token)
    from azure.identity import DefaultAzureCredential

    credential: TokenCredential = DefaultAzureCredential()
    return credential
