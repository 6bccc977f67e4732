"""The rule catalogue: small pure functions over normalized records (see :mod:`.catalogue`)."""

from partner_nhi.rules.catalogue import CATALOGUE, RULES_BY_ID, Rule, evaluate
from partner_nhi.rules.model import Hit, RuleInput, Severity, Undetermined

__all__ = ["CATALOGUE", "RULES_BY_ID", "Hit", "Rule", "RuleInput", "Severity", "Undetermined", "evaluate"]
