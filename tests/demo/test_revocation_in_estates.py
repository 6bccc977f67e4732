"""The demo carries out the sweep's revocation commands in each simulated estate
(``Connector.demo_revoke``). Carried out for every identity of the estate, not only acme's,
every command form the connectors print is one its estate understands, and afterwards nothing
is left enabled but what the cloud's provider manages (which has no steps); a command naming
something the estate does not hold fails, as it would in the cloud."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from botocore.exceptions import ClientError

from helpers.history import DEMO_REGISTRY
from helpers.scan import scan
from partner_nhi.connector import load_connector
from partner_nhi.registry import load_registry
from partner_nhi.revocation import RevocationStep

TENANT = "6d1a0c2e-0000-4000-8000-00000000c0de"
SUBSCRIPTION = "3c9e4b1d-5555-4a2f-9d0e-00000000c0de"


def running(stack: ExitStack, names: list[str]) -> dict[str, dict[str, Any]]:
    return {name: stack.enter_context(load_connector(name).demo_estate()) for name in names}


@pytest.mark.parametrize("names", [["aws"], ["azure", "m365"], ["gcp"]], ids=["aws", "microsoft", "gcp"])
def test_every_step_of_the_estate_carried_out_leaves_nothing_enabled(names: list[str]) -> None:
    registry = load_registry(DEMO_REGISTRY)
    with ExitStack() as stack:
        estates = running(stack, names)
        before = scan(estates, registry, None)
        steps: dict[str, list[RevocationStep]] = {}
        for judged in before.identities:
            steps.setdefault(judged.connector, []).extend(
                load_connector(judged.connector).revocation_steps(judged.identity)
            )
        for name, carried in steps.items():
            load_connector(name).demo_revoke(estates[name], carried)
        after = scan(estates, registry, None)
    assert before.status == after.status == "complete"
    still = [j.identity.name for j in after.identities if j.identity.enabled and not j.identity.provider_managed]
    assert still == []
    assert len(after.identities) < len(before.identities)  # the deleted ones are gone


def step(provider: str, scope: str, *argv: str) -> RevocationStep:
    return RevocationStep(action="test", argv=argv, provider=provider, scope=scope, revokes="-", reversible=False)


@pytest.fixture(scope="module")
def estates() -> Iterator[dict[str, dict[str, Any]]]:
    with ExitStack() as stack:
        yield running(stack, ["aws", "azure", "gcp"])


@pytest.mark.parametrize(
    ("connector", "wrong", "error"),
    [
        ("aws", step("aws", "123456789012", "aws", "iam", "delete-user", "--user-name", "nobody"), ClientError),
        ("aws", step("aws", "123456789012", "aws", "iam", "delete-user", "--name", "x"), ValueError),
        ("aws", step("aws", "123456789012", "aws", "s3", "rb", "s3://bucket"), ValueError),
        (
            "azure",
            step("azure", TENANT, "az", "role", "assignment", "delete", "--ids", f"/subscriptions/{SUBSCRIPTION}/x"),
            ValueError,
        ),
        (
            "azure",
            step("azure", TENANT, "az", "ad", "sp", "update", "--id", "nobody", "--set", "accountEnabled=false"),
            ValueError,
        ),
        ("azure", step("azure", TENANT, "az", "vm", "delete", "--ids", "x"), ValueError),
        ("azure", step("azure", "another-tenant", "az", "identity", "delete", "--ids", "x"), ValueError),
        (
            "gcp",
            step(
                "gcp",
                "corp-prod",
                "gcloud",
                "projects",
                "remove-iam-policy-binding",
                "corp-prod",
                "--member=user:nobody@corp.example",
                "--role=roles/viewer",
                "--condition=None",
            ),
            ValueError,
        ),
        (
            "gcp",
            step(
                "gcp",
                "corp-prod",
                "gcloud",
                "projects",
                "remove-iam-policy-binding",
                "corp-prod",
                "--member=user:analyst@initech.example",
                "--role=roles/logging.viewer",
                "--condition=None",
            ),
            ValueError,  # the binding has a condition: gcloud removes only an exact match
        ),
    ],
)
def test_a_step_naming_what_the_estate_does_not_hold_fails(
    estates: dict[str, dict[str, Any]], connector: str, wrong: RevocationStep, error: type[Exception]
) -> None:
    with pytest.raises(error):
        load_connector(connector).demo_revoke(estates[connector], [wrong])
