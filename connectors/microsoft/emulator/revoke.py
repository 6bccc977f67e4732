"""Demo only: the ``az`` revocation steps the azure and m365 connectors print, carried out on
an emulated :class:`Tenant` as Entra ID and ARM would carry them out, so the next scan sees
the tenant as it would be after a customer ran them (``partner-nhi demo``).

A step naming something the tenant does not hold fails (``ValueError``), as the command would:
the demo never reports a revocation it did not make.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from partner_nhi.connectors.demo_commands import Command, parse_command, route
from partner_nhi.connectors.microsoft.emulator.tenant import JSON, Tenant
from partner_nhi.contract import RevocationStep

GRAPH_HOST = "graph.microsoft.com"
GRAPH_VERSION = "/v1.0/"


def carry_out(tenant: Tenant, steps: Iterable[RevocationStep]) -> None:
    for step in steps:
        command = parse_command(step.argv, flags={"cert"})
        if step.scope != tenant.id:
            raise ValueError(f"a step for tenant {step.scope}, not {tenant.id}: {step.command}")
        handler, positional = route(command, _ROUTES)
        if positional:
            raise ValueError(f"unexpected arguments {positional}: {step.command}")
        handler(tenant, command)


def _remove(rows: list[JSON], matches: Callable[[JSON], bool], what: str) -> None:
    """Delete the rows ``what`` names, in place (the emulator serves the same lists)."""
    kept = [row for row in rows if not matches(row)]
    if len(kept) == len(rows):
        raise ValueError(f"{what} does not exist")
    rows[:] = kept


def _principal(tenant: Tenant, id_or_app_id: str) -> JSON:
    """``--id`` of ``az ad sp``: the object id or the appId."""
    return _by_id(tenant.service_principals, id_or_app_id, "service principal")


def _application(tenant: Tenant, id_or_app_id: str) -> JSON:
    """``--id`` of ``az ad app``: the object id or the appId."""
    return _by_id(tenant.applications, id_or_app_id, "application")


def _by_id(rows: list[JSON], id_or_app_id: str, what: str) -> JSON:
    for row in rows:
        if id_or_app_id in (row["id"], row["appId"]):
            return row
    raise ValueError(f"{what} {id_or_app_id} does not exist")


def _update_principal(tenant: Tenant, command: Command) -> None:
    """``az ad sp update --set accountEnabled=false``: nobody signs in as it any more."""
    name, _, value = command.option("set").partition("=")
    if name != "accountEnabled" or value not in ("true", "false"):
        raise ValueError(f"the emulated tenant sets only accountEnabled, not {command.option('set')}")
    _principal(tenant, command.option("id"))["accountEnabled"] = value == "true"


def _credentials(holder: JSON, command: Command) -> None:
    """A secret, or with ``--cert`` a certificate, deleted by its keyId."""
    key_id = command.option("key-id")
    listed = holder["keyCredentials"] if "cert" in command.options else holder["passwordCredentials"]
    _remove(listed, lambda credential: credential["keyId"] == key_id, f"credential {key_id}")


def _delete_app_credential(tenant: Tenant, command: Command) -> None:
    _credentials(_application(tenant, command.option("id")), command)


def _delete_principal_credential(tenant: Tenant, command: Command) -> None:
    _credentials(_principal(tenant, command.option("id")), command)


def _delete_federated(tenant: Tenant, command: Command) -> None:
    """By the federated credential's id or name, as ``az`` takes either."""
    wanted = command.option("federated-credential-id")
    listed = _application(tenant, command.option("id"))["federatedIdentityCredentials"]
    _remove(listed, lambda federated: wanted in (federated["id"], federated["name"]), f"federated credential {wanted}")


def _delete_role_assignment(tenant: Tenant, command: Command) -> None:
    """By its full ARM id (ARM ids are case-insensitive)."""
    wanted = command.option("ids").lower()
    for subscription in tenant.subscriptions:
        if any(assignment["id"].lower() == wanted for assignment in subscription.role_assignments):
            _remove(subscription.role_assignments, lambda assignment: assignment["id"].lower() == wanted, wanted)
            return
    raise ValueError(f"role assignment {wanted} does not exist")


def _delete_identity(tenant: Tenant, command: Command) -> None:
    """A user-assigned managed identity: deleting the resource deletes its service principal."""
    resource = command.option("ids").lower()
    _remove(
        tenant.service_principals,
        lambda principal: resource in (name.lower() for name in principal.get("alternativeNames", [])),
        f"managed identity {resource}",
    )


def _rest(tenant: Tenant, command: Command) -> None:
    """``az rest --method DELETE`` on the Graph object that confers a grant: a delegated grant
    or an application permission (app role assignment)."""
    url = urlsplit(command.option("url"))
    if command.option("method").upper() != "DELETE" or url.hostname != GRAPH_HOST:
        raise ValueError(f"the emulated tenant deletes only Graph objects, not {command.option('url')}")
    path = url.path.removeprefix(GRAPH_VERSION).split("/")
    match path:
        case ["oauth2PermissionGrants", grant]:
            _remove(tenant.oauth2_permission_grants, lambda row: row["id"] == grant, f"delegated grant {grant}")
        case ["servicePrincipals", principal, "appRoleAssignments", assignment]:
            _remove(
                tenant.app_role_assignments,
                lambda row: row["id"] == assignment and row["principalId"] == principal,
                f"app role assignment {assignment} of {principal}",
            )
        case _:
            raise ValueError(f"the emulated tenant cannot delete {url.path}")


_ROUTES: dict[tuple[str, ...], Callable[[Tenant, Command], None]] = {
    ("az", "ad", "sp", "update"): _update_principal,
    ("az", "ad", "sp", "credential", "delete"): _delete_principal_credential,
    ("az", "ad", "app", "credential", "delete"): _delete_app_credential,
    ("az", "ad", "app", "federated-credential", "delete"): _delete_federated,
    ("az", "role", "assignment", "delete"): _delete_role_assignment,
    ("az", "identity", "delete"): _delete_identity,
    ("az", "rest"): _rest,
}
