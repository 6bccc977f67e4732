"""AWS: IAM users (access keys, SSH keys, service-specific credentials, signing
certificates, console passwords) and roles (trust policies, last use), per account.

Bulk calls first: GetAccountAuthorizationDetails and the credential report; per-user
listings only where nothing bulk exists. Every raw record becomes a core record through
``Units.transform``: one unreadable record makes its unit partial, named in the error,
and costs nothing else. See ``docs/aws.md`` for the policy needed.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, ClassVar

import boto3

from partner_nhi.connectors.aws import normalize
from partner_nhi.connectors.aws.authorization import fetch_authorization_details
from partner_nhi.connectors.aws.clients import ClientFactory, new_session
from partner_nhi.connectors.aws.credential_report import (
    CredentialReport,
    ReportRow,
    fetch_credential_report,
    report_row,
    row_label,
)
from partner_nhi.connectors.aws.errors import classify
from partner_nhi.connectors.aws.organization import DISCOVERY_NOTE, discover_accounts
from partner_nhi.connectors.aws.revocation import revocation_steps
from partner_nhi.connectors.aws.settings import AwsSettings
from partner_nhi.connectors.aws.unit_names import ALL_UNITS, UNIT_PRINCIPALS, UNIT_REPORT
from partner_nhi.connectors.aws.users import list_user_credentials
from partner_nhi.contract import (
    CallCounter,
    Connector,
    ErrorKind,
    Identity,
    RevocationStep,
    Scope,
    Units,
)


class AwsConnector(Connector):
    name: ClassVar[str] = "aws"
    settings_model = AwsSettings
    resource_types = ALL_UNITS
    settings: AwsSettings
    _organization_members: frozenset[str] | None = None  # set by discover(), read by collect()
    _session: boto3.Session | None = None  # every scope's clients come from it: see ClientFactory
    _session_lock = threading.Lock()

    def scopes(self) -> list[Scope]:
        return [
            Scope(self.name, a.id, a.name or a.id, {"role_arn": a.role_arn, "external_id": a.external_id})
            for a in self.settings.accounts
        ]

    def discover(self) -> list[Scope]:
        """The organisation's accounts when discovery is on; with nothing configured, the
        caller's own account."""
        if self.settings.organization.enabled:
            factory = self._factory(CallCounter())
            partition = factory.session.get_partition_for_region(self.settings.region)
            discovered = discover_accounts(
                factory.client("organizations"), self.name, self.settings.organization.role_name, partition
            )
            self._organization_members = discovered.members
            return discovered.scopes
        if self.settings.accounts:
            return []
        identity = self._factory(CallCounter()).client("sts").get_caller_identity()
        return [Scope(self.name, identity["Account"], identity["Account"], {"role_arn": None})]

    def _discovery_notes(self, scope: Scope) -> list[str]:
        """What discovery found worth saying about this account: said in its coverage record."""
        notes = [scope.settings[DISCOVERY_NOTE]] if scope.settings.get(DISCOVERY_NOTE) else []
        members = self._organization_members
        if members is not None and scope.id not in members:
            notes.append("configured, but not among the accounts organizations:ListAccounts listed")
        return notes

    def classify(self, error: BaseException) -> ErrorKind:
        return classify(error)

    def _internal_accounts(self) -> set[str]:
        return {a.id for a in self.settings.accounts} | set(self.settings.internal_account_ids)

    def _factory(self, calls: CallCounter) -> ClientFactory:
        with self._session_lock:
            if self._session is None:
                self._session = new_session(self.settings)
        return ClientFactory(self.settings, calls, self._session)

    def collect(self, scope: Scope, units: Units, calls: CallCounter) -> list[Identity]:
        observed = datetime.now(UTC)
        factory = self._factory(calls)
        role_arn = scope.settings.get("role_arn")
        if role_arn:
            factory = factory.assume(role_arn, scope.settings.get("external_id"))
        iam = factory.client("iam")

        details = units.fetch(UNIT_PRINCIPALS, lambda: fetch_authorization_details(iam))
        if details is None:
            return []  # recorded failed; every other unit is then "not reached"
        for note in self._discovery_notes(scope):
            units.note(UNIT_PRINCIPALS, note)
        report = units.fetch(
            UNIT_REPORT,
            lambda: fetch_credential_report(
                iam, self.settings.credential_report_timeout, self.settings.credential_report_poll
            ),
        )
        policies = dict(
            units.transform(UNIT_PRINCIPALS, details.policies, normalize.local_policy, normalize.policy_label)
        )
        groups = dict(
            units.transform(
                UNIT_PRINCIPALS,
                details.groups,
                lambda group: normalize.group_grant(group, policies),
                normalize.group_label,
            )
        )
        internal = self._internal_accounts()
        roles = units.transform(
            UNIT_PRINCIPALS,
            details.roles,
            lambda role: normalize.role_identity(role, scope.id, internal, policies, observed),
            normalize.principal_label,
        )
        rows = _report_rows(units, report)
        # Per-user listings only for records that name a user; the others are rejected below.
        names = [u["UserName"] for u in details.users if isinstance(u.get("UserName"), str) and u.get("Arn")]
        user_rows = {u["UserName"]: rows.get(u["Arn"]) for u in details.users if u.get("UserName") in names}
        held = list_user_credentials(iam, units, names, user_rows, self.settings.per_user_concurrency)

        def user(record: dict[str, Any]) -> Identity:
            name, _ = record["UserName"], record["Arn"]  # a record without them is malformed
            grant = normalize.user_grant(record, policies, groups)
            return normalize.user_identity(record, scope.id, held[name], user_rows[name], grant)

        users = units.transform(UNIT_PRINCIPALS, details.users, user, normalize.principal_label)
        return [*roles, *users]

    @classmethod
    def revocation_steps(cls, identity: Identity) -> list[RevocationStep]:
        return revocation_steps(identity)

    @classmethod
    def demo_estate(cls) -> AbstractContextManager[dict[str, Any]]:
        from partner_nhi.connectors.aws.demo import demo_estate  # moto and freezegun: demo extra only

        return demo_estate()

    @classmethod
    def demo_revoke(cls, settings: Mapping[str, Any], steps: Sequence[RevocationStep]) -> None:
        from partner_nhi.connectors.aws.demo import revoke

        revoke(settings, steps)


def _report_rows(units: Units, report: CredentialReport | None) -> dict[str, ReportRow]:
    """Each row of the report read on its own, by user ARN; none when the report failed."""
    if report is None:
        return {}
    return {row.arn: row for row in units.transform(UNIT_REPORT, report.rows, report_row, row_label)}
