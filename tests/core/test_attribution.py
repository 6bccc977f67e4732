"""Attribution: every path of SPEC §4's precedence, with its evidence."""

from __future__ import annotations

import pytest

from helpers.builders import identity
from partner_nhi.attribution import Attributor
from partner_nhi.records import Affiliation
from partner_nhi.registry import Registry


def test_assignment_wins_over_everything(registry: Registry) -> None:
    subject = identity(
        "acme-thing",
        id="arn:aws:iam::1:user/assigned",
        tags={"partner": "acme", "owner": "alice@example.com"},
        affiliations=(Affiliation(kind="aws-account", value="111122223333", external=True),),
    )
    who = Attributor(registry).attribute(subject)
    assert who.partner is not None and who.partner.id == "globex"
    assert who.owner is not None and who.owner.id == "carol@example.com"
    assert who.partner_evidence.source == "assignment" and who.owner_evidence.source == "assignment"
    assert who.source == "assignment"


def test_assignment_matches_an_alias(registry: Registry) -> None:
    subject = identity("x", id="object-id", aliases=("arn:aws:iam::1:user/assigned",), tags={})
    who = Attributor(registry).attribute(subject)
    assert who.partner is not None and who.partner.id == "globex"
    assert "arn:aws:iam::1:user/assigned" in who.partner_evidence.detail


def test_tag_beats_match_and_pattern(registry: Registry) -> None:
    subject = identity(
        "acme-sync",
        tags={"partner": "globex", "owner": "bob@example.com"},
        affiliations=(Affiliation(kind="aws-account", value="111122223333", external=True),),
    )
    who = Attributor(registry).attribute(subject)
    assert who.partner is not None and who.partner.id == "globex"
    assert who.partner_evidence.detail == "tag partner=globex"
    assert who.owner is not None and who.owner.id == "bob@example.com"


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("aws-account", "111122223333"),
        ("azure-tenant", "TENANT-ACME"),
        ("azure-app", "app-acme"),
        ("publisher-domain", "acme.example"),
        ("gcp-domain", "acme.example"),
        ("gcp-project", "acme-prod"),
    ],
)
def test_each_match_kind(registry: Registry, kind: str, value: str) -> None:
    subject = identity("plain", tags={}, affiliations=(Affiliation(kind=kind, value=value, external=True),))
    who = Attributor(registry).attribute(subject)
    assert who.partner is not None and who.partner.id == "acme"
    assert who.partner_evidence.source == "match" and kind in who.partner_evidence.detail
    assert who.unregistered_external == ()


def test_match_beats_name_pattern(registry: Registry) -> None:
    subject = identity("globex-x", tags={}, affiliations=(Affiliation(kind="aws-account", value="111122223333"),))
    who = Attributor(registry).attribute(subject)
    assert who.partner is not None and who.partner.id == "acme"


def test_name_pattern_is_last(registry: Registry) -> None:
    who = Attributor(registry).attribute(identity("GLOBEX-backup", tags={}))
    assert who.partner is not None and who.partner.id == "globex"
    assert who.partner_evidence.source == "name-pattern"


def test_partner_sponsor_owns_what_has_no_owner(registry: Registry) -> None:
    who = Attributor(registry).attribute(identity("globex-backup", tags={}))
    assert who.owner is not None and who.owner.id == "bob@example.com"
    assert who.owner_evidence.source == "sponsor" and "globex" in who.owner_evidence.detail


def test_partner_without_sponsor_leaves_no_owner(registry: Registry) -> None:
    who = Attributor(registry).attribute(identity("etl-load", tags={}))
    assert who.partner is not None and who.partner.id == "initech"
    assert who.owner is None


def test_cloud_recorded_owner_matches_registry_owner(registry: Registry) -> None:
    subject = identity("globex-app", tags={}, owner_hints=("someone@else.example", "Bob@Example.com"))
    who = Attributor(registry).attribute(subject)
    assert who.owner is not None and who.owner.id == "bob@example.com"
    assert who.owner_evidence.source == "cloud-owner"


def test_unknown_tag_values_are_noted_not_used(registry: Registry) -> None:
    who = Attributor(registry).attribute(identity("x", tags={"partner": "nobody", "owner": "who@x"}))
    assert who.partner is None and who.owner is None
    assert any("nobody" in note for note in who.notes) and any("who@x" in note for note in who.notes)


def test_unregistered_external_party(registry: Registry) -> None:
    subject = identity(
        "x",
        affiliations=(
            Affiliation(kind="aws-account", value="999900001111", external=True),
            Affiliation(kind="aws-service", value="lambda.amazonaws.com"),
            Affiliation(kind="aws-account", value="123456789012", external=False),
        ),
    )
    who = Attributor(registry).attribute(subject)
    assert who.unregistered_external == ("aws-account 999900001111",)


def test_nothing_matches(registry: Registry) -> None:
    who = Attributor(registry).attribute(identity("plain", tags={}))
    assert who.partner is None and who.owner is None and who.source == "none"
