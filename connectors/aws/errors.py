"""botocore exceptions mapped to the core's error taxonomy."""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    ConnectionError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ReadTimeoutError,
)

from partner_nhi.connectors.aws.clients import MutatingCallRefused
from partner_nhi.contract import ErrorKind, MalformedRecord

_THROTTLING = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
}
_AUTH = {
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
}
_FORBIDDEN = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
_TRANSIENT = {"ServiceUnavailable", "InternalFailure", "InternalError", "ReportInProgress", "ReportNotPresent"}


class CredentialReportTimeout(TimeoutError):
    """The credential report was not ready before the deadline."""


def classify(error: BaseException) -> ErrorKind:
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in _THROTTLING:
            return ErrorKind.THROTTLED
        if code in _AUTH:
            return ErrorKind.AUTH
        if code in _FORBIDDEN:
            return ErrorKind.FORBIDDEN
        if code in _TRANSIENT or status >= 500:
            return ErrorKind.TRANSIENT
        if code in ("NoSuchEntity", "NoSuchEntityException"):
            return ErrorKind.NOT_FOUND
        if code in ("ValidationError", "InvalidInput", "MalformedPolicyDocument"):
            return ErrorKind.INVALID
        return ErrorKind.UNKNOWN
    if isinstance(error, NoCredentialsError | NoRegionError):
        return ErrorKind.AUTH
    if isinstance(error, EndpointConnectionError | ConnectionError | ReadTimeoutError):
        return ErrorKind.TRANSIENT
    if isinstance(error, MutatingCallRefused):
        return ErrorKind.FORBIDDEN
    if isinstance(error, ValueError | KeyError | TypeError | MalformedRecord):
        return ErrorKind.INVALID
    return ErrorKind.UNKNOWN
