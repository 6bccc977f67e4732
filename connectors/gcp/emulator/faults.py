"""Google API errors as the real services send them, for both emulators.

One :class:`Fault` renders as a gRPC status with ``google.rpc`` details (what
``IAMClient`` parses) or as a JSON error body (what the REST clients parse):
``{"error": {"code", "message", "status", "details": [ErrorInfo...]}}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from partner_nhi.connectors.loopback import Response

_HTTP_STATUS = {
    "RESOURCE_EXHAUSTED": 429,
    "UNAVAILABLE": 503,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "NOT_FOUND": 404,
    "INTERNAL": 500,
}


@dataclass(frozen=True)
class Fault:
    status: str  # the google.rpc.Code name, e.g. RESOURCE_EXHAUSTED
    message: str
    reason: str | None = None  # ErrorInfo.reason
    domain: str = "googleapis.com"
    metadata: dict[str, str] = field(default_factory=dict)
    http_status: int | None = None  # when not the usual one for ``status`` (a quota 403)
    retry_after: int | None = None  # seconds, HTTP only
    legacy_reason: str | None = None  # ``error.errors[].reason`` of older JSON APIs

    @property
    def code(self) -> int:
        return self.http_status or _HTTP_STATUS.get(self.status, 500)

    def grpc_status(self) -> grpc.Status:
        details = []
        if self.reason:
            info = any_pb2.Any()
            info.Pack(error_details_pb2.ErrorInfo(reason=self.reason, domain=self.domain, metadata=self.metadata))
            details.append(info)
        code = code_pb2.Code.Value(self.status)
        return rpc_status.to_status(status_pb2.Status(code=code, message=self.message, details=details))

    def http_response(self) -> Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.reason:
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": self.reason,
                    "domain": self.domain,
                    "metadata": self.metadata,
                }
            ]
        if self.legacy_reason:
            error["errors"] = [{"message": self.message, "domain": "usageLimits", "reason": self.legacy_reason}]
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        return Response(self.code, {"error": error}, headers)


def quota_exceeded(service: str, retry_after: int | None = None) -> Fault:
    """Per-minute quota: RESOURCE_EXHAUSTED / HTTP 429 with reason RATE_LIMIT_EXCEEDED."""
    return Fault(
        "RESOURCE_EXHAUSTED",
        f"Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' "
        f"of service '{service}' for consumer 'project_number:000000000000'.",
        reason="RATE_LIMIT_EXCEEDED",
        metadata={"service": service, "quota_limit": "ReadRequestsPerMinutePerProject"},
        retry_after=retry_after,
    )


def quota_forbidden(service: str) -> Fault:
    """A quota answered as 403 (older APIs): throttling, not a permission error."""
    return Fault(
        "PERMISSION_DENIED",
        f"Rate Limit Exceeded for service '{service}'",
        reason="RATE_LIMIT_EXCEEDED",
        metadata={"service": service},
        http_status=403,
        legacy_reason="rateLimitExceeded",
    )


def unavailable() -> Fault:
    return Fault("UNAVAILABLE", "The service is currently unavailable.")


def permission_denied(permission: str) -> Fault:
    return Fault(
        "PERMISSION_DENIED",
        f"Permission '{permission}' denied on resource (or it may not exist).",
        reason="IAM_PERMISSION_DENIED",
        domain="iam.googleapis.com",
        metadata={"permission": permission},
    )


def service_disabled(service: str, title: str) -> Fault:
    """The API is not enabled in the project: the unit is skipped, not empty."""
    return Fault(
        "PERMISSION_DENIED",
        f"{title} has not been used in project 000000000000 before or it is disabled. "
        f"Enable it by visiting https://console.developers.google.com/apis/api/{service}/"
        "overview?project=000000000000 then retry.",
        reason="SERVICE_DISABLED",
        metadata={"service": service, "consumer": "projects/000000000000"},
    )


def not_found(message: str) -> Fault:
    return Fault("NOT_FOUND", message)


class Rejected(Exception):
    """Raised by an emulator's handler to answer with ``fault``."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.message)
        self.fault = fault
