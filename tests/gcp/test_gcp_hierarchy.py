"""Reach through the resource hierarchy and custom roles (issue 10, item 8): a partner bound
on a folder or the organisation holds its roles in every project below; a custom role is
privileged by the permissions it grants, never by its name. Through the real clients and
the emulators, the engine and the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers.scan import scan
from partner_nhi.connectors.gcp.emulator import (
    Account,
    Binding,
    Emulators,
    Estate,
    Folder,
    Organization,
    Project,
    faults,
    running,
)
from partner_nhi.connectors.gcp.iam_policy import Grant, holding
from partner_nhi.connectors.gcp.roles import granted_permissions
from partner_nhi.registry import load_registry
from partner_nhi.store import Store

FOLDER_PARTNER = "user:ops-lead@globex.example"
ORG_PARTNER = "group:auditors@acme.example"
KEY_MINTER = "projects/corp-prod/roles/readOnlyViewer"  # named to look harmless
WIDE_NAMED = "organizations/1/roles/superAdmin"  # named to look dangerous

# The Role resource as GetRole returns it (cloud.google.com/iam/reference/rest/v1/projects.roles):
# a custom role that can mint service-account keys and act as service accounts (the escalation
# permissions SonarSource rule S6408 and Google's guidance name).
KEY_MINTER_ROLE = {
    "name": KEY_MINTER,
    "title": "Read-only viewer",
    "description": "Created by Acme for the release pipeline",
    "includedPermissions": [
        "iam.serviceAccountKeys.create",
        "iam.serviceAccounts.actAs",
        "resourcemanager.projects.get",
    ],
    "stage": "GA",
    "etag": "BwWKmjvelug=",
}
# Google's own example of a custom role (gcloud iam roles create --file): reads roles only
READER_ROLE = {
    "name": WIDE_NAMED,
    "title": "Role Viewer",
    "description": "My custom role description.",
    "includedPermissions": ["iam.roles.get", "iam.roles.list"],
    "stage": "ALPHA",
    "etag": "BwWKmjvelug=",
}


def test_a_custom_role_is_privileged_by_its_permissions_not_its_name() -> None:
    definitions = {KEY_MINTER: granted_permissions(KEY_MINTER_ROLE), WIDE_NAMED: granted_permissions(READER_ROLE)}
    minter = holding([Grant(KEY_MINTER, "projects/corp-prod")], definitions)
    assert minter.privileged and minter.custom
    assert minter.details["privileged_by"] == {
        KEY_MINTER: ["iam.serviceAccountKeys.create", "iam.serviceAccounts.actAs"]
    }
    reader = holding([Grant(WIDE_NAMED, "organizations/1")], definitions)
    assert not reader.privileged
    unread = holding([Grant(KEY_MINTER, "projects/corp-prod")], {})
    assert not unread.privileged and unread.details["custom_roles_unread"] == [KEY_MINTER]
    setter = holding(
        [Grant("projects/p/roles/x", "projects/p")], {"projects/p/roles/x": ["storage.buckets.setIamPolicy"]}
    )
    assert setter.privileged  # rewrites who can access: admin-like whatever its name


def test_a_disabled_or_deleted_custom_role_grants_nothing() -> None:
    assert granted_permissions({**KEY_MINTER_ROLE, "stage": "DISABLED"}) == []
    assert granted_permissions({**KEY_MINTER_ROLE, "deleted": True}) == []


def _hierarchy() -> Estate:
    """organizations/1 > folders/22 > corp-prod and corp-dev; a partner bound on the folder,
    another on the organisation, a partner account holding a key-minting custom role."""
    minter = "serviceAccount:ci@acme-tools-prod.iam.gserviceaccount.com"
    return Estate(
        projects=[
            Project(
                "corp-prod",
                parent="folders/22",
                accounts=[Account("app")],
                bindings=[
                    Binding(KEY_MINTER, [minter]),
                    Binding(WIDE_NAMED, ["user:someone@unknown-contractor.example"]),
                ],
            ),
            Project("corp-dev", parent="folders/22"),
        ],
        folders=[Folder("folders/22", "organizations/1", [Binding("roles/editor", [FOLDER_PARTNER])])],
        organizations=[Organization("organizations/1", [Binding("roles/viewer", [ORG_PARTNER])])],
        custom_roles={
            KEY_MINTER: KEY_MINTER_ROLE["includedPermissions"],
            WIDE_NAMED: READER_ROLE["includedPermissions"],
        },
    )


def _gcp(emulators: Emulators, **overrides: Any) -> dict[str, Any]:
    return {"gcp": emulators.settings(organization_domains=["corp.example"], **overrides)}


def test_a_partner_bound_on_a_folder_reaches_every_project_below(demo_registry: Path) -> None:
    with running(_hierarchy()) as emulators:
        run = scan(_gcp(emulators), load_registry(demo_registry), None)
        policy_reads = [r.path for r in emulators.resource_manager.requests if r.path.endswith(":getIamPolicy")]
        role_reads = [r.name for m, r in emulators.iam.requests if m == "GetRole"]
    assert run.status == "complete"
    held = {(j.identity.scope, j.identity.id): j for j in run.identities}
    for project in ("corp-prod", "corp-dev"):
        partner = held[(project, FOLDER_PARTNER)]
        assert partner.identity.details["bindings"] == [{"role": "roles/editor", "resource": "folders/22"}]
        assert partner.identity.privileged and partner.attribution.partner.id == "globex"
        assert held[(project, ORG_PARTNER)].identity.details["bindings"][0]["resource"] == "organizations/1"
    # the folder's and organisation's policies and each custom role are read once per run
    assert sorted(policy_reads) == [
        "/v3/folders/22:getIamPolicy",
        "/v3/organizations/1:getIamPolicy",
        "/v3/projects/corp-dev:getIamPolicy",
        "/v3/projects/corp-prod:getIamPolicy",
    ]
    assert sorted(role_reads) == sorted([KEY_MINTER, WIDE_NAMED])
    minter = held[("corp-prod", "serviceAccount:ci@acme-tools-prod.iam.gserviceaccount.com")].identity
    assert minter.privileged and "custom-roles" in minter.also_from
    assert not held[("corp-prod", "user:someone@unknown-contractor.example")].identity.privileged
    account = held[("corp-prod", "app@corp-prod.iam.gserviceaccount.com")].identity
    assert account.also_from == ("iam-policy", "inherited-iam-policies")


def test_an_unreadable_folder_policy_carries_what_it_bound(demo_registry: Path, tmp_path: Path) -> None:
    registry = load_registry(demo_registry)
    with running(_hierarchy()) as emulators, Store(f"sqlite:///{tmp_path}/h.db") as store:
        first = scan(_gcp(emulators, projects=["corp-prod"]), registry, store)
        relied = {f.id for f in first.findings if f.identity == ORG_PARTNER}
        assert relied
        denied = faults.permission_denied("resourcemanager.folders.getIamPolicy")
        emulators.resource_manager.fail("POST", r"^/v3/folders/22:getIamPolicy$", denied.http_response(), times=9)
        broken = scan(_gcp(emulators, projects=["corp-prod"]), registry, store)
        units = {u.resource_type: u for u in broken.scopes[0].units}
        assert units["inherited-iam-policies"].status.value == "failed"
        assert broken.status == "partial"
        again = {f.id: f for f in broken.findings}
        assert all(again[i].status == "open" and again[i].carried for i in relied)
        assert all(row.gone_run is None for row in store.identities(include_gone=True))
        account = next(j.identity for j in broken.identities if j.identity.id.startswith("app@"))
        assert account.details["roles"] == "incomplete: inherited-iam-policies not read"


def test_inherited_policies_can_be_left_unread_on_purpose(demo_registry: Path) -> None:
    with running(_hierarchy()) as emulators:
        run = scan(_gcp(emulators, inherited_policies=False), load_registry(demo_registry), None)
        paths = {r.path for r in emulators.resource_manager.requests}
    assert run.status == "complete"
    assert not any(p.startswith(("/v3/folders", "/v3/organizations")) for p in paths)
    assert FOLDER_PARTNER not in {j.identity.id for j in run.identities}
    [iam_policy] = [u for u in run.scopes[0].units if u.resource_type == "iam-policy"]
    assert any("not read" in note for note in iam_policy.notes)  # the gap is said, not silent
