"""Checking AWS Signature Version 4 on requests, with botocore's own signing code.

The SDKs sign every request. Without configured access keys the server accepts any signature
(as Step Functions Local does); with them, a request must name a configured key and carry the
signature botocore computes for it with that key's secret: the canonical request is rebuilt
from exactly the headers the client listed as signed, at the time it stated (``X-Amz-Date``),
and compared in constant time. Refusals are AWS's: ``MissingAuthenticationTokenException``,
``UnrecognizedClientException``, ``InvalidSignatureException`` (also for a request signed
more than 15 minutes away from the server's time).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from stepline.api.errors import ApiError

SERVICE = "states"
ALLOWED_SKEW_SECONDS = 15 * 60

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request,\s*SignedHeaders=(?P<headers>[^,\s]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})\s*\Z"
)
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)


class _ListedHeaders(SigV4Auth):  # type: ignore[misc]
    """botocore's signer, signing exactly the headers the client listed."""

    def __init__(self, credentials: Credentials, region: str, listed: list[str]) -> None:
        super().__init__(credentials, SERVICE, region)
        self._listed = listed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        signed = HTTPHeaders()
        for name in self._listed:
            value = request.headers.get(name)
            if value is not None:
                signed[name] = value
        return signed


def verify(
    keys: Mapping[str, str],
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime | None = None,
) -> None:
    """Accept the request or raise AWS's refusal; ``keys`` maps access key ids to secrets."""
    authorization = headers.get("authorization")
    if not authorization:
        raise ApiError(
            "MissingAuthenticationTokenException", "Request is missing Authentication Token", 403
        )
    found = _AUTHORIZATION.match(authorization)
    if found is None:
        raise ApiError("IncompleteSignatureException", "Authorization header requires "
                       "'Credential', 'SignedHeaders' and 'Signature'.")  # fmt: skip
    secret = keys.get(found["key"])
    if secret is None:
        raise ApiError(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )
    stamp = headers.get("x-amz-date", "")
    _check_time(stamp, now or datetime.now(UTC))
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    request.context["timestamp"] = stamp
    signer = _ListedHeaders(
        Credentials(found["key"], secret), found["region"], found["headers"].split(";")
    )
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if found["service"] != SERVICE or not hmac.compare_digest(expected, found["signature"]):
        raise ApiError("InvalidSignatureException", _MISMATCH)


def _check_time(stamp: str, now: datetime) -> None:
    try:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise ApiError(
            "IncompleteSignatureException", "X-Amz-Date is missing or malformed."
        ) from None
    if abs((now - signed_at).total_seconds()) > ALLOWED_SKEW_SECONDS:
        raise ApiError(
            "InvalidSignatureException",
            f"Signature expired: {stamp} is now earlier than "
            f"{(now).strftime('%Y%m%dT%H%M%SZ')} (15 minutes of skew allowed).",
        )


def parse_keys(pairs: list[str]) -> dict[str, str]:
    """``ACCESS_KEY_ID:SECRET`` pairs (from ``--access-key`` or the configuration)."""
    keys = {}
    for pair in pairs:
        key, separator, secret = pair.partition(":")
        if not separator or not key or not secret:
            raise ValueError(f"an access key is ACCESS_KEY_ID:SECRET, got {pair!r}")
        keys[key] = secret
    return keys
