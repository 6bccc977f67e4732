"""human-use-of-nhi: a console password used recently on an identity that also holds an API key."""

from __future__ import annotations

from helpers.builders import NOW, credential, identity, sample_registry
from partner_nhi.attribution import Attributor
from partner_nhi.records import CredentialKind, Identity
from partner_nhi.rules.catalogue import DEFAULT_THRESHOLDS, evaluate
from partner_nhi.rules.model import Hit, RuleInput, Undetermined, Verdict

PASSWORD = CredentialKind.CONSOLE_PASSWORD


def verdicts(subject: Identity, days: int | None = None) -> list[Verdict]:
    thresholds = {**DEFAULT_THRESHOLDS, **({"human-use-of-nhi": days} if days is not None else {})}
    rule_input = RuleInput(subject, Attributor(sample_registry()).attribute(subject), thresholds, NOW)
    return [j.verdict for j in evaluate(rule_input) if j.rule.id == "human-use-of-nhi"]


def test_a_key_and_a_password_used_recently_is_human_use() -> None:
    subject = identity(credentials=(credential("AKIAKEY"), credential("svc/console-password", PASSWORD, used=12)))
    [found] = verdicts(subject)
    assert isinstance(found, Hit)
    assert found.message.startswith("svc: console password used 12 days ago") and "AKIAKEY" in found.message
    assert found.evidence["api_keys"] == ["AKIAKEY"] and found.evidence["days"] == 90


def test_no_hit_without_both_or_when_the_password_is_idle_or_never_used() -> None:
    key, password = credential("AKIAKEY"), credential("svc/console-password", PASSWORD, used=12)
    assert verdicts(identity(credentials=(password,))) == []
    assert verdicts(identity(credentials=(key,))) == []
    assert verdicts(identity(credentials=(credential("AKIAKEY", active=False), password))) == []
    assert verdicts(identity(credentials=(key, credential("p", PASSWORD, used=200)))) == []
    assert verdicts(identity(credentials=(key, credential("p", PASSWORD, used=None)))) == []
    assert isinstance(verdicts(identity(credentials=(key, credential("p", PASSWORD, used=200))), days=365)[0], Hit)


def test_an_unknown_password_use_is_undetermined() -> None:
    [found] = verdicts(identity(credentials=(credential("AKIAKEY"), credential("p", PASSWORD, used="unknown"))))
    assert isinstance(found, Undetermined)
