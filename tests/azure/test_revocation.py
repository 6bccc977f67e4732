"""The azure connector's revocation steps, for the offboarding sweep: typed, in order
(reversible first), naming each credential by keyId and each role assignment by id, and
valid shell (``bash -n``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from partner_nhi.connectors.azure import AzureConnector
from partner_nhi.connectors.microsoft.emulator.demo import demo_tenant
from partner_nhi.records import Identity


def _by_name(emulate, kit) -> dict[str, Identity]:
    emulator = emulate(demo_tenant())
    return {i.name: i for i in kit.collect(emulator.settings()).identities}


def _commands(identity: Identity) -> list[str]:
    return [step.command for step in AzureConnector.revocation_steps(identity)]


def test_an_app_registration_is_disabled_then_each_credential_removed(emulate, kit) -> None:
    identities = _by_name(emulate, kit)
    acme = identities["acme-sync"]
    app_id, principal = acme.details["app_id"], acme.details["service_principal_id"]
    steps = AzureConnector.revocation_steps(acme)
    assert [(s.action, s.reversible) for s in steps] == [
        ("disable the service principal", True),
        ("delete client-secret", False),
        ("delete client-secret", False),
    ]
    assert steps[0].command == f"az ad sp update --id {principal} --set accountEnabled=false"
    assert [s.command for s in steps[1:]] == [
        f"az ad app credential delete --id {app_id} --key-id {c.id}" for c in acme.credentials
    ]
    assert {(s.provider, s.scope) for s in steps} == {("azure", acme.scope)}
    legacy = identities["legacy-reporting"]
    [certificate] = legacy.credentials
    assert _commands(legacy)[-1].endswith(f"--key-id {certificate.id} --cert")


def test_federated_credentials_and_role_assignments_are_removed_by_id(emulate, kit) -> None:
    identities = _by_name(emulate, kit)
    github = identities["github-deployer"]
    [federated] = github.credentials
    [role] = github.entitlements
    assert "/providers/Microsoft.Authorization/roleAssignments/" in role.ids[0]  # its ARM id
    assert _commands(github)[1:] == [
        f"az role assignment delete --ids {role.ids[0]}",
        f"az ad app federated-credential delete --id {github.details['app_id']} "
        f"--federated-credential-id {federated.id}",
    ]


def test_a_managed_identity_loses_its_roles_and_a_user_assigned_one_is_deleted(emulate, kit) -> None:
    mi = _by_name(emulate, kit)["acme-deploy-identity"]
    steps = AzureConnector.revocation_steps(mi)
    assert [s.action.split(" (")[0] for s in steps] == [
        "delete role assignment",
        "delete the user-assigned managed identity",
    ]  # a managed identity cannot be disabled and holds no secret
    assert steps[-1].command == f"az identity delete --ids {mi.details['resource_id']}"


def test_every_step_is_valid_shell(emulate, kit, tmp_path: Path) -> None:
    script = tmp_path / "revoke.sh"
    lines = [
        step.command
        for identity in _by_name(emulate, kit).values()
        for step in AzureConnector.revocation_steps(identity)
    ]
    assert len(lines) >= 10
    script.write_text("\n".join(lines) + "\n")
    bash = shutil.which("bash")
    assert bash is not None
    checked = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_third_party_apps_can_be_left_to_the_m365_connector(emulate, kit) -> None:
    emulator = emulate(demo_tenant())
    owning = kit.collect(emulator.settings())
    leaving = kit.collect({**emulator.settings(), "third_party_apps": False})
    assert "Globex Insights" in {i.name for i in owning.identities}
    assert {i.name for i in owning.identities} - {i.name for i in leaving.identities} == {"Globex Insights"}
    insights = owning.by_name("Globex Insights")
    assert insights.publisher_verified is True
    assert [(e.kind.value, e.permission, e.level.value) for e in insights.entitlements] == [
        ("role", "Reader", "medium")
    ]
