"""Which Entra federated credentials admit more than one workload: subjects as GitHub documents
them (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
"Example subject claims" and "Customizing the token claims"), and the finding on the demo estate."""

from __future__ import annotations

import pytest

from helpers.history import DEMO_REGISTRY
from helpers.scan import scan
from partner_nhi.connectors.microsoft.emulator.demo import demo_tenant
from partner_nhi.connectors.microsoft.federation import admits_many
from partner_nhi.registry import load_registry

GITHUB = "https://token.actions.githubusercontent.com"


@pytest.mark.parametrize(
    ("issuer", "subject", "why"),
    [
        (GITHUB, "repo:octo-org/octo-repo:environment:Production", None),
        (GITHUB, "repo:octo-org/octo-repo:ref:refs/heads/demo-branch", None),
        (GITHUB, "repo:octo-org/octo-repo:ref:refs/tags/demo-tag", None),
        (GITHUB, "repo:octo-org/octo-repo:pull_request", "any pull request's workflow in octo-org/octo-repo"),
        (
            f"{GITHUB}/octo-enterprise",
            "repo:octo-org/octo-repo:pull_request",
            "any pull request's workflow in octo-org/octo-repo",
        ),
        (GITHUB, "repository_owner:octo-org", "every repository of octo-org (the subject names no repository)"),
        (
            GITHUB,
            "repository_owner_id:1234567:context:prod",
            "every repository of 1234567 (the subject names no repository)",
        ),
        (
            GITHUB,
            "repo:octo-org/octo-repo:job_workflow_ref:octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main",
            None,
        ),
        (
            "https://ghes.example/_services/token",
            "repo:octo-org/octo-repo:pull_request",
            "any pull request's workflow in octo-org/octo-repo",
        ),
        # Entra's own issuer (a managed identity as the subject) and another issuer: one workload each
        (
            "https://login.microsoftonline.com/3d1e2be9-a10a-4a0c-8380-7ce190f98ed9/v2.0",
            "a7d388c3-5e3f-4959-ac7d-786b3383006a",
            None,
        ),
        ("https://gitlab.example", "project_path:group/project:ref_type:branch:ref:main", None),
    ],
)
def test_which_subjects_admit_more_than_one_workload(issuer: str, subject: str, why: str | None) -> None:
    assert admits_many({"issuer": issuer, "subject": subject}) == why


def test_a_flexible_credential_admits_what_its_expression_matches() -> None:
    row = {
        "issuer": GITHUB,
        "subject": None,
        "claimsMatchingExpression": {
            "value": "claims['sub'] matches 'repo:contoso/contoso-repo:ref:refs/heads/*'",
            "languageVersion": 1,
        },
    }
    assert (
        admits_many(row) == "every subject matching claims['sub'] matches 'repo:contoso/contoso-repo:ref:refs/heads/*'"
    )


def test_the_demo_shows_a_partners_pull_request_trust(emulate) -> None:
    emulator = emulate(demo_tenant())
    run = scan({"azure": emulator.settings()}, load_registry(DEMO_REGISTRY), None)
    [finding] = [f for f in run.findings if f.rule == "federated-trust-too-broad"]
    assert (finding.identity_name, finding.partner) == ("globex-monitoring", "globex")
    assert finding.evidence["admits"] == "any pull request's workflow in globex-ms/monitoring-agent"
    assert "federated-credentials" in finding.units  # resolved only by a complete listing of it
