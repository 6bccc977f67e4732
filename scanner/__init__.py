"""partner-nhi: find the non-human identities partners hold in your clouds, and who answers for them.

The core knows no cloud. Connectors (``connectors/``) fetch and normalize into
:mod:`partner_nhi.records`; the engine runs them, attribution and the rule catalogue
judge what they hand over, and the store keeps history across runs.
"""

__version__ = "0.1.0"
