"""Settings from YAML and environment; the coverage recorder's bookkeeping."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import BaseModel

from partner_nhi.config import load_settings
from partner_nhi.connector import CallCounter, Connector, ErrorKind, Scope, Units, UnitStatus
from partner_nhi.coverage import RetryPolicy, UnitRecorder
from partner_nhi.errors import ConfigError
from partner_nhi.records import Identity


def test_yaml_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "nhi.yaml"
    config.write_text("registry: reg.yaml\ndatabase: sqlite:///file.db\nthresholds:\n  default: {stale-identity: 60}\n")
    settings = load_settings(config)
    assert settings.registry == (tmp_path / "reg.yaml").resolve()
    assert settings.thresholds.resolve("aws", None)["stale-identity"] == 60
    monkeypatch.setenv("PARTNER_NHI_DATABASE", "postgresql://db/nhi")
    monkeypatch.setenv("PARTNER_NHI_THRESHOLDS__DEFAULT", '{"stale-identity": 30}')
    settings = load_settings(config)
    assert settings.database == "postgresql://db/nhi"  # the environment wins
    assert settings.thresholds.resolve("aws", None)["stale-identity"] == 30


def test_config_errors_name_line_and_field(tmp_path: Path) -> None:
    config = tmp_path / "nhi.yaml"
    config.write_text("database: sqlite://\nconcurrency: 0\nthresholds:\n  default:\n    stale-idnetity: 5\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert "nhi.yaml:2: concurrency" in message
    assert "nhi.yaml:5: thresholds.default" in message or "nhi.yaml:4: thresholds.default" in message
    assert "stale-idnetity" in message


class Flaky(Exception):
    pass


class Denied(Exception):
    pass


class Disabled(Exception):
    pass


class FakeConnector(Connector):
    """A stand-in connector: the recorder only needs its classifier and unit names."""

    name: ClassVar[str] = "fake"
    settings_model = BaseModel
    resource_types = ("listing", "per-item", "enrichment")

    def __init__(self) -> None:  # no settings
        pass

    def scopes(self) -> list[Scope]:
        return []

    def collect(self, scope: Scope, units: Units, calls: CallCounter) -> list[Identity]:
        return []

    def classify(self, error: BaseException) -> ErrorKind:
        return {Flaky: ErrorKind.THROTTLED, Denied: ErrorKind.FORBIDDEN, Disabled: ErrorKind.API_DISABLED}.get(
            type(error), ErrorKind.UNKNOWN
        )


def recorder() -> UnitRecorder:
    return UnitRecorder(FakeConnector(), RetryPolicy(attempts=3, initial_delay=0, max_delay=0))


def test_retryable_errors_are_retried_then_complete() -> None:
    attempts = []

    def call() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise Flaky
        return "ok"

    units = recorder()
    assert units.fetch("listing", call) == "ok" and len(attempts) == 3
    assert units.outcomes()[0].status is UnitStatus.COMPLETE


def test_forbidden_is_not_retried_and_fails() -> None:
    attempts = []

    def call() -> None:
        attempts.append(1)
        raise Denied("no")

    units = recorder()
    assert units.fetch("listing", call) is None and len(attempts) == 1
    listing, per_item, _ = units.outcomes()
    assert listing.status is UnitStatus.FAILED and listing.error_kind is ErrorKind.FORBIDDEN
    assert per_item.status is UnitStatus.SKIPPED and "not reached" in (per_item.error or "")


def test_disabled_api_is_skipped_with_reason() -> None:
    units = recorder()
    units.fetch("enrichment", lambda: (_ for _ in ()).throw(Disabled("API not enabled")))
    assert units.outcomes()[2].status is UnitStatus.SKIPPED
    assert "API not enabled" in (units.outcomes()[2].error or "")


def test_per_item_failures_make_a_partial_unit() -> None:
    def call(item: int) -> int:
        if item == 2:
            raise Denied("item 2")
        return item * 10

    units = recorder()
    assert units.fetch_each("per-item", [1, 2, 3], call) == {1: 10, 3: 30}
    outcome = units.outcomes()[1]
    assert outcome.status is UnitStatus.PARTIAL and outcome.items_failed == 1 and "item 2" in (outcome.error or "")
    assert units.fetch_each("listing", [2], call) == {}
    assert units.outcomes()[0].status is UnitStatus.FAILED


def test_notes_survive_and_worst_status_wins() -> None:
    units = recorder()
    units.note("enrichment", "sign-in logs need a licence")
    units.fetch("enrichment", lambda: 1)
    units.fetch("enrichment", lambda: (_ for _ in ()).throw(Denied("x")))
    units.fetch("enrichment", lambda: 2)
    outcome = units.outcomes()[2]
    assert outcome.status is UnitStatus.FAILED and outcome.notes == ["sign-in logs need a licence"]


class PerSubscription(FakeConnector):
    def unit_names(self, scope: Scope) -> list[str]:
        return [*self.resource_types, *(f"role-assignments/{s}" for s in scope.settings["subscriptions"])]


def test_units_declared_per_scope_fail_when_the_scope_breaks_early() -> None:
    scope = Scope("fake", "tenant", settings={"subscriptions": ["sub-a", "sub-b"]})
    units = UnitRecorder(PerSubscription(), RetryPolicy(attempts=1, initial_delay=0, max_delay=0), scope)
    units.fetch("listing", lambda: 1)
    units.fail_remaining(Denied("token refused"))
    outcomes = {o.resource_type: o.status for o in units.outcomes()}
    assert outcomes["listing"] is UnitStatus.COMPLETE
    assert outcomes["role-assignments/sub-a"] is UnitStatus.FAILED
    assert outcomes["role-assignments/sub-b"] is UnitStatus.FAILED


def test_a_connector_without_its_sdk_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from partner_nhi.connector import load_connector

    monkeypatch.setitem(sys.modules, "partner_nhi.connectors.gcp", None)  # as if google-cloud-iam were not installed
    with pytest.raises(ConfigError, match=r"pip install 'partner-nhi\[gcp\]'"):
        load_connector("gcp")


def scope_with(*outcomes: tuple[str, UnitStatus, bool]) -> UnitStatus:
    from partner_nhi.coverage import UnitOutcome
    from partner_nhi.results import ScopeResult

    units = [UnitOutcome(name, status, enrichment=enrichment) for name, status, enrichment in outcomes]
    return ScopeResult("fake", Scope("fake", "s"), units, []).status


def test_skipped_enrichment_leaves_the_scope_complete_but_not_a_failed_one() -> None:
    listing = ("listing", UnitStatus.COMPLETE, False)
    assert scope_with(listing, ("sign-ins", UnitStatus.SKIPPED, True)) is UnitStatus.COMPLETE
    assert scope_with(listing, ("sign-ins", UnitStatus.FAILED, True)) is UnitStatus.PARTIAL
    assert scope_with(listing, ("per-item", UnitStatus.SKIPPED, False)) is UnitStatus.PARTIAL
    assert (
        scope_with(("listing", UnitStatus.FAILED, False), ("sign-ins", UnitStatus.SKIPPED, True)) is UnitStatus.FAILED
    )
    assert scope_with(("listing", UnitStatus.SKIPPED, False)) is UnitStatus.SKIPPED


def test_recorder_marks_enrichment_units() -> None:
    class WithEnrichment(FakeConnector):
        enrichment_units = frozenset({"enrichment"})

    units = UnitRecorder(WithEnrichment(), RetryPolicy(attempts=1, initial_delay=0, max_delay=0))
    assert [o.enrichment for o in units.outcomes()] == [False, False, True]
