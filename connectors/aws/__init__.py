"""AWS: IAM users (access keys, SSH keys, service-specific credentials, signing
certificates, console passwords) and roles (trust policies, last use), per account.

Bulk calls first: GetAccountAuthorizationDetails and the credential report; per-user
listings only where nothing bulk exists. See ``docs/aws.md`` for the policy needed.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any, ClassVar

from partner_nhi.connectors.aws import normalize
from partner_nhi.connectors.aws.authorization import fetch_authorization_details
from partner_nhi.connectors.aws.clients import ClientFactory
from partner_nhi.connectors.aws.credential_report import fetch_credential_report
from partner_nhi.connectors.aws.errors import classify
from partner_nhi.connectors.aws.normalize import UserCredentials
from partner_nhi.connectors.aws.revocation import revocation_steps
from partner_nhi.connectors.aws.settings import AwsSettings
from partner_nhi.connectors.aws.user_credentials import (
    access_key_last_used,
    list_access_keys,
    list_service_specific_credentials,
    list_signing_certificates,
    list_ssh_public_keys,
)
from partner_nhi.contract import CallCounter, Connector, ErrorKind, Identity, RevocationStep, Scope, Units


class AwsConnector(Connector):
    name: ClassVar[str] = "aws"
    settings_model = AwsSettings
    resource_types = (
        normalize.UNIT_PRINCIPALS,
        normalize.UNIT_REPORT,
        normalize.UNIT_ACCESS_KEYS,
        normalize.UNIT_KEY_LAST_USED,
        normalize.UNIT_SSH_KEYS,
        normalize.UNIT_SERVICE_CREDENTIALS,
        normalize.UNIT_SIGNING_CERTIFICATES,
    )
    settings: AwsSettings

    def scopes(self) -> list[Scope]:
        return [
            Scope(self.name, a.id, a.name or a.id, {"role_arn": a.role_arn, "external_id": a.external_id})
            for a in self.settings.accounts
        ]

    def discover(self) -> list[Scope]:
        """The organisation's active accounts when discovery is on; with nothing configured,
        the caller's own account."""
        if self.settings.organization.enabled:
            return self._organization_accounts()
        if self.settings.accounts:
            return []
        identity = ClientFactory(self.settings, CallCounter()).client("sts").get_caller_identity()
        return [Scope(self.name, identity["Account"], identity["Account"], {"role_arn": None})]

    def _organization_accounts(self) -> list[Scope]:
        organizations = ClientFactory(self.settings, CallCounter()).client("organizations")
        scopes = []
        for page in organizations.get_paginator("list_accounts").paginate():
            for account in page["Accounts"]:
                if account.get("Status") == "ACTIVE":
                    role = f"arn:aws:iam::{account['Id']}:role/{self.settings.organization.role_name}"
                    scopes.append(Scope(self.name, account["Id"], account.get("Name", ""), {"role_arn": role}))
        return scopes

    def classify(self, error: BaseException) -> ErrorKind:
        return classify(error)

    def _internal_accounts(self) -> set[str]:
        return {a.id for a in self.settings.accounts} | set(self.settings.internal_account_ids)

    def collect(self, scope: Scope, units: Units, calls: CallCounter) -> list[Identity]:
        factory = ClientFactory(self.settings, calls)
        role_arn = scope.settings.get("role_arn")
        if role_arn:
            factory = factory.assume(role_arn, scope.settings.get("external_id"))
        iam = factory.client("iam")

        details = units.fetch(normalize.UNIT_PRINCIPALS, lambda: fetch_authorization_details(iam))
        if details is None:
            return []  # recorded failed; every other unit is then "not reached"
        report = units.fetch(
            normalize.UNIT_REPORT,
            lambda: fetch_credential_report(
                iam, self.settings.credential_report_timeout, self.settings.credential_report_poll
            ),
        )
        local_policies = normalize.local_policy_documents(details.policies)
        internal = self._internal_accounts()
        # One malformed record makes the listing partial, named in its error; the others are kept.
        roles = {role.get("RoleName") or f"role #{n}": role for n, role in enumerate(details.roles)}
        users = {user.get("UserName") or f"user #{n}": user for n, user in enumerate(details.users)}
        well_formed = [user for user in details.users if "UserName" in user and "Arn" in user]
        per_user = self._user_credentials(iam, well_formed, report, units)

        def role(name: str) -> Identity:
            return normalize.role_identity(roles[name], scope.id, internal, local_policies)

        def user(name: str) -> Identity:
            row = report.rows.get(users[name].get("Arn", "")) if report else None
            credentials = per_user.get(name) or normalize.UserCredentials()
            return normalize.user_identity(users[name], scope.id, credentials, row, report is not None, local_policies)

        return [
            *units.fetch_each(normalize.UNIT_PRINCIPALS, roles, role).values(),
            *units.fetch_each(normalize.UNIT_PRINCIPALS, users, user).values(),
        ]

    def _user_credentials(
        self, iam: Any, users: list[dict[str, Any]], report: Any, units: Units
    ) -> dict[str, UserCredentials]:
        """One listing per user and credential type, run a few at a time."""
        names = [user["UserName"] for user in users]
        rows = {user["UserName"]: (report.rows.get(user["Arn"]) if report else None) for user in users}
        found = {name: UserCredentials() for name in names}
        listings = {
            normalize.UNIT_ACCESS_KEYS: list_access_keys,
            normalize.UNIT_SSH_KEYS: list_ssh_public_keys,
            normalize.UNIT_SERVICE_CREDENTIALS: list_service_specific_credentials,
        }
        # The report lists active signing certificates; ask per user only where it says so or is missing.
        needs_certificates = [name for name in names if _may_hold_certificates(rows[name])]
        with ThreadPoolExecutor(max_workers=self.settings.per_user_concurrency) as pool:
            jobs = {
                unit: pool.submit(units.fetch_each, unit, names, lambda name, listing=listing: listing(iam, name))
                for unit, listing in listings.items()
            }
            jobs[normalize.UNIT_SIGNING_CERTIFICATES] = pool.submit(
                units.fetch_each,
                normalize.UNIT_SIGNING_CERTIFICATES,
                needs_certificates,
                lambda name: list_signing_certificates(iam, name),
            )
            results = {unit: job.result() for unit, job in jobs.items()}
        for name in names:
            credentials = found[name]
            credentials.access_keys = results[normalize.UNIT_ACCESS_KEYS].get(name)
            credentials.ssh_keys = results[normalize.UNIT_SSH_KEYS].get(name)
            credentials.service_credentials = results[normalize.UNIT_SERVICE_CREDENTIALS].get(name)
            if name in needs_certificates:
                credentials.signing_certificates = results[normalize.UNIT_SIGNING_CERTIFICATES].get(name)
            else:
                credentials.signing_certificates = []
        key_ids = [
            key_id
            for name in names
            for key_id in normalize.keys_needing_last_used(found[name].access_keys or [], rows[name])
        ]
        last_used = units.fetch_each(
            normalize.UNIT_KEY_LAST_USED, key_ids, lambda key_id: access_key_last_used(iam, key_id)
        )
        for name in names:
            for key in found[name].access_keys or []:
                if key["AccessKeyId"] in last_used:
                    found[name].key_use[key["AccessKeyId"]] = last_used[key["AccessKeyId"]]
        return found

    @classmethod
    def revocation_steps(cls, identity: Identity) -> list[RevocationStep]:
        return revocation_steps(identity)

    @classmethod
    def demo_estate(cls) -> AbstractContextManager[dict[str, Any]]:
        from partner_nhi.connectors.aws.demo import demo_estate  # moto and freezegun: demo extra only

        return demo_estate()


def _may_hold_certificates(row: dict[str, str] | None) -> bool:
    """The report says whether a user has active signing certificates; without it, ask."""
    return row is None or "true" in (row.get("cert_1_active"), row.get("cert_2_active"))
