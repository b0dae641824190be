"""API errors in AWS's shape: ``{"__type": code, "message": text}`` with AWS's HTTP status.

Every failure a request can meet ends here: the engine's refusals (``EngineError``, one class
per AWS code), the protocol's own (a body that is not JSON, an action that does not exist),
parameter validation, and, for a fault of ours, ``InternalFailure`` (logged, never a bare 500).
"""

from __future__ import annotations

from stepline.engine.errors import EngineError


class ApiError(Exception):
    def __init__(
        self, code: str, message: str, status: int = 400, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.reason = reason

    def body(self) -> dict[str, str]:
        body = {"__type": self.code, "message": self.message}
        if self.reason is not None:
            body["reason"] = self.reason  # a ValidationException's ValidationExceptionReason
        return body


def from_engine(error: EngineError) -> ApiError:
    return ApiError(error.code, error.message, reason=getattr(error, "reason", None))


def validation(message: str) -> ApiError:
    return ApiError("ValidationException", message)


def internal_failure() -> ApiError:
    return ApiError(
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
        500,
    )
