"""The AWS connector's coverage units: one per listing, each recorded complete, partial,
failed or skipped in every run. A finding resolves only when every unit it relied on completed."""

UNIT_PRINCIPALS = "iam-authorization-details"
UNIT_REPORT = "credential-report"
UNIT_ACCESS_KEYS = "access-keys"
UNIT_KEY_LAST_USED = "access-key-last-used"
UNIT_SSH_KEYS = "ssh-public-keys"
UNIT_SERVICE_CREDENTIALS = "service-specific-credentials"
UNIT_SIGNING_CERTIFICATES = "signing-certificates"

ALL_UNITS = (
    UNIT_PRINCIPALS,
    UNIT_REPORT,
    UNIT_ACCESS_KEYS,
    UNIT_KEY_LAST_USED,
    UNIT_SSH_KEYS,
    UNIT_SERVICE_CREDENTIALS,
    UNIT_SIGNING_CERTIFICATES,
)
