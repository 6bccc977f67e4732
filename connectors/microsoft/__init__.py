"""What the Microsoft connectors (azure and m365) share: one credential chain, one Graph
client factory with paging and ``$batch`` (per-item ``Retry-After``), one ARM client factory
(imported only by what reads subscriptions), one error classifier, one connector base and
settings base, the transforms both run (service principals, owners, credentials, sign-in
reports, role assignments, Graph times), the permission classification table, revocation
steps, and one Graph + ARM emulator for tests and ``partner-nhi demo``.

Importing this package loads no SDK; each module imports its own.
"""
