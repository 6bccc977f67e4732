from __future__ import annotations

import pytest

from helpers import builders
from partner_nhi.registry import Registry


@pytest.fixture
def registry() -> Registry:
    return builders.sample_registry()
