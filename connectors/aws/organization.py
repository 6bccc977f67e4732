"""AWS Organizations discovery: the organisation's accounts as scopes.

``Account.Status`` is retired on 2026-09-09 in favour of ``State`` (botocore's
organizations model says so): read ``State``, falling back to ``Status``. Only accounts
in a state that cannot be scanned (suspended, closing, closed, not yet activated) are
left out, each named in the log; an account whose state is missing or unknown is scanned,
with a note saying why, so that a change in the API never shrinks the discovered set in
silence. Role ARNs use the account's own partition (``aws``, ``aws-us-gov``, ``aws-cn``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from partner_nhi.contract import MalformedRecord, Scope

log = structlog.get_logger(__name__)

ACTIVE = "ACTIVE"
NOT_SCANNABLE = frozenset({"PENDING_ACTIVATION", "SUSPENDED", "PENDING_CLOSURE", "CLOSED"})
DISCOVERY_NOTE = "discovery_note"  # a Scope.settings key: what discovery wants said about the account


class UnreadableAccount(ValueError):
    """Organizations listed an account record that cannot be read: the discovered set is unknown."""


@dataclass(frozen=True)
class Discovered:
    scopes: list[Scope]
    members: frozenset[str]  # every account id the organisation listed, whatever its state
    left_out: dict[str, str]  # account id -> its state, for accounts not scanned


def partition_of(arn: str | None, default: str) -> str:
    """``arn:PARTITION:service:...``; ``default`` when there is no ARN to read it from."""
    parts = (arn or "").split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "arn" and parts[1] else default


def account_state(account: Mapping[str, Any]) -> str | None:
    """``State``, else the retired ``Status``; None when the account carries neither."""
    state = account.get("State") or account.get("Status")
    return str(state) if state else None


def account_scope(account: Mapping[str, Any], connector: str, role_name: str, partition: str) -> Scope | None:
    """One ``ListAccounts`` entry as a scope, or None for an account that cannot be scanned."""
    account_id = account["Id"]
    if not (isinstance(account_id, str) and len(account_id) == 12 and account_id.isdigit()):
        raise MalformedRecord("Id", f"not a 12-digit account id: {account_id!r}")
    state = account_state(account)
    if state in NOT_SCANNABLE:
        return None
    settings: dict[str, Any] = {
        "role_arn": f"arn:{partition_of(account.get('Arn'), partition)}:iam::{account_id}:role/{role_name}"
    }
    if state is None:
        settings[DISCOVERY_NOTE] = "Organizations gave this account no State (nor Status): scanned"
    elif state != ACTIVE:
        settings[DISCOVERY_NOTE] = f"Organizations state {state!r} is not one partner-nhi knows: scanned"
    return Scope(connector, account_id, str(account.get("Name") or account_id), settings)


def discover_accounts(organizations: Any, connector: str, role_name: str, partition: str) -> Discovered:
    """Every page of ListAccounts. An unreadable account record fails discovery, naming it:
    skipping it would shrink the discovered set without a word; the engine then still scans
    the configured accounts and carries the findings of the others."""
    scopes: list[Scope] = []
    members: set[str] = set()
    left_out: dict[str, str] = {}
    number = 0
    for page in organizations.get_paginator("list_accounts").paginate():
        for account in page["Accounts"]:
            number += 1
            try:
                scope = account_scope(account, connector, role_name, partition)
            except (KeyError, MalformedRecord) as exc:
                name = account.get("Id") or account.get("Name") or f"#{number}"
                problem = f"field {exc.args[0]!r}: missing" if isinstance(exc, KeyError) else str(exc)
                raise UnreadableAccount(f"organizations:ListAccounts account {name}: {problem}") from None
            members.add(account["Id"])
            if scope is None:
                left_out[account["Id"]] = str(account_state(account))
            else:
                scopes.append(scope)
    if left_out:
        log.warning("aws.discovery.not_scanned", accounts=left_out, listed=number, scanned=len(scopes))
    return Discovered(scopes, frozenset(members), left_out)
