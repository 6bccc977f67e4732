"""Everything a connector may use of the core: its whole public surface for connector authors.

A connector imports from here (and from ``partner_nhi.connectors`` for code shared between
connectors), never from the core's other modules: the engine, store, rules and outputs may
change without a connector noticing. A test holds every connector to this.

A connector subclasses :class:`Connector`, lists :meth:`~Connector.scopes` (and, through an
API, :meth:`~Connector.discover`), fetches each resource type through :class:`Units`
(``fetch``, ``fetch_each``), turns every raw record into an :class:`Identity` or
:class:`Credential` through :meth:`Units.transform` (raising :class:`MalformedRecord`, or
simply a ``KeyError``, for a record it cannot read), and maps SDK errors to
:class:`ErrorKind` in :meth:`~Connector.classify`. For the offboarding sweep it says, as
:class:`RevocationStep` values, how each kind of holding is revoked. Where it may send a
request is read by :mod:`partner_nhi.endpoints`: emulator mode only for a provable loopback
endpoint (:func:`loopback_refusal`), links followed only on the endpoint's origin
(:func:`check_same_origin`).
"""

from partner_nhi.connector import CallCounter, Connector, ErrorKind, Scope, Units, UnitStatus
from partner_nhi.endpoints import (
    ForeignURL,
    Origin,
    address_host,
    address_loopback_refusal,
    check_same_origin,
    is_loopback,
    loopback_refusal,
    origin,
)
from partner_nhi.errors import ConfigError, MalformedRecord
from partner_nhi.records import (
    Affiliation,
    Credential,
    CredentialKind,
    Entitlement,
    EntitlementKind,
    EntitlementLevel,
    Identity,
    LastUse,
    utc,
)
from partner_nhi.revocation import RevocationStep

__all__ = [
    "Affiliation",
    "CallCounter",
    "ConfigError",
    "Connector",
    "Credential",
    "CredentialKind",
    "Entitlement",
    "EntitlementKind",
    "EntitlementLevel",
    "ErrorKind",
    "ForeignURL",
    "Identity",
    "LastUse",
    "MalformedRecord",
    "Origin",
    "RevocationStep",
    "Scope",
    "UnitStatus",
    "Units",
    "address_host",
    "address_loopback_refusal",
    "check_same_origin",
    "is_loopback",
    "loopback_refusal",
    "origin",
    "utc",
]
