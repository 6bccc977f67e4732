"""GKE workloads bound in IAM policies (issue 10, item 7): the customer's own workloads are
inventory of that project, not outside parties; a cluster in someone else's project is that
party's; other workload and workforce pools stay external. Member strings are real-shaped
samples from public sources (cited per sample)."""

from __future__ import annotations

from dataclasses import replace

from helpers.scan import scan
from partner_nhi.connectors.gcp.emulator import Binding, Estate, Project, running
from partner_nhi.connectors.gcp.iam_policy import Grant, Roles, member_identities
from partner_nhi.registry import load_registry

# kubernetes/k8s.io, infra/gcp/terraform (Apache-2.0): a Prow cluster's KSA in the
# k8s-infra-prow-build-trusted project, bound in another project of the same owner
K8S_INFRA = (
    "principal://iam.googleapis.com/projects/180382678033/locations/global/workloadIdentityPools/"
    "k8s-infra-prow-build-trusted.svc.id.goog/subject/ns/test-pods/sa/s3-sync"
)
# Google Cloud, "Authenticate to Google Cloud APIs from GKE workloads": the legacy member of a
# KSA allowed to impersonate a service account (roles/iam.workloadIdentityUser)
LEGACY = "serviceAccount:corp-prod.svc.id.goog[payments/api-server]"
# Google Cloud, fleet Workload Identity: every pod of a namespace, whatever its service account
NAMESPACE = (
    "principalSet://iam.googleapis.com/projects/482910573920/locations/global/workloadIdentityPools/"
    "corp-prod.svc.id.goog/namespace/payments"
)
PARTNER_CLUSTER = "serviceAccount:acme-tools-prod.svc.id.goog[sync/acme-agent]"
# Google Cloud, "Principal identifiers": one identity of a (non-GKE) workload identity pool, here
# a GitHub Actions job (its subject in GitHub's documented form repo:ORG/REPO:ref:refs/heads/BRANCH)
GITHUB_POOL = (
    "principal://iam.googleapis.com/projects/482910573920/locations/global/workloadIdentityPools/"
    "github/subject/repo:acme-corp/deploy:ref:refs/heads/main"
)


def test_the_customers_gke_workloads_are_inventory_of_their_project(context, units):
    scope = replace(context, internal_projects=context.internal_projects | {"k8s-infra-prow-build-trusted"})
    grants = {m: [Grant("roles/storage.objectViewer", "projects/corp-prod")] for m in (K8S_INFRA, LEGACY, NAMESPACE)}
    found = {i.id: i for i in member_identities(Roles(grants, {}, ("iam-policy",)), scope, set(), units)}
    assert set(found) == {K8S_INFRA, LEGACY, NAMESPACE}
    assert {i.kind for i in found.values()} == {"gcp-gke-workload"}
    assert [(a.kind, a.value, a.external) for a in found[K8S_INFRA].affiliations] == [
        ("gcp-project", "k8s-infra-prow-build-trusted", False)
    ]
    assert (found[K8S_INFRA].name, found[LEGACY].name, found[NAMESPACE].name) == (
        "test-pods/s3-sync",
        "payments/api-server",
        "namespace/payments",
    )
    assert not any(a.external for i in found.values() for a in i.affiliations)


def test_a_workload_of_another_partys_cluster_or_pool_is_external(context, units):
    grants = {m: [Grant("roles/viewer", "projects/corp-prod")] for m in (K8S_INFRA, PARTNER_CLUSTER, GITHUB_POOL)}
    found = {i.id: i for i in member_identities(Roles(grants, {}, ("iam-policy",)), context, set(), units)}
    assert [(a.kind, a.value, a.external) for a in found[PARTNER_CLUSTER].affiliations] == [
        ("gcp-project", "acme-tools-prod", True)
    ]
    assert found[K8S_INFRA].affiliations[0].external  # not a project of this customer
    pool = found[GITHUB_POOL]
    assert pool.kind == "gcp-external-member"
    # its OIDC subject is evidence of whose workload it is (issue 10, item 11), beside the pool
    assert [(a.kind, a.value, a.external) for a in pool.affiliations] == [
        ("gcp-principal", GITHUB_POOL, True),
        ("oidc-subject", "repo:acme-corp/deploy:ref:refs/heads/main", True),
    ]
    assert not any(a.kind == "oidc-subject" for a in found[K8S_INFRA].affiliations)


def test_a_scan_reports_no_partner_finding_for_the_customers_own_workloads(demo_registry):
    project = Project(
        "corp-prod",
        bindings=[
            Binding("roles/storage.objectViewer", [LEGACY, NAMESPACE]),
            Binding("roles/viewer", [PARTNER_CLUSTER]),
        ],
    )
    with running(Estate(projects=[project])) as emulators:
        run = scan(
            {"gcp": emulators.settings(organization_domains=["corp.example"])}, load_registry(demo_registry), None
        )
    assert run.status == "complete"
    kinds = {j.identity.id: (j.identity.kind, j.attribution.partner) for j in run.identities}
    assert kinds[LEGACY] == ("gcp-gke-workload", None)
    assert kinds[PARTNER_CLUSTER][1] is not None and kinds[PARTNER_CLUSTER][1].id == "acme"  # by gcp_projects
    reasons = {(f.identity, f.reason) for f in run.findings}
    assert (LEGACY, "unregistered-external") not in reasons and (NAMESPACE, "unregistered-external") not in reasons
    assert (PARTNER_CLUSTER, "partner-offboarded") in reasons
