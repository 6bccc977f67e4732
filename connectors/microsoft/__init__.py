"""What the Microsoft connectors (azure now, m365 next) share: one credential
chain, one Graph client factory, one ARM client factory, one error classifier,
and one Graph + ARM emulator for tests and ``partner-nhi demo``.

Importing this package loads no SDK; each module imports its own.
"""
