"""A handle on the moto server the AWS tests share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from partner_nhi.connectors.aws.demo import Seeder
from partner_nhi.connectors.aws.emulator import MotoTraffic


@dataclass
class Moto:
    endpoint: str
    traffic: MotoTraffic  # every action the server handled; faults to inject

    def seeder(self, account: str = "123456789012", now: datetime | None = None) -> Seeder:
        return Seeder(self.endpoint, now or datetime.now(UTC), account)

    def settings(self, **extra: object) -> dict[str, object]:
        return {"endpoint_url": self.endpoint, "credential_report_poll": 0.05, "max_attempts": 3, **extra}

    @property
    def actions(self) -> list[str]:
        return self.traffic.actions
