"""One error hierarchy: every failure the provider reports is a ProviderError, and its message is the reason.

CloudFormation shows the reason to the user, cut to what fits its 4096-byte response, so each message says
what to fix first and ends with the service's own code and words where there are any.
"""

from __future__ import annotations


class ProviderError(Exception):
    """Something the user or the account must change; ``str(error)`` is the reason CloudFormation shows."""


class InvalidInputError(ProviderError, ValueError):
    """The resource properties break an input rule (rules.py), in the same words synth uses."""


class ServiceError(ProviderError):
    """WorkSpaces refused a call; ``code`` is the error code exactly as the service sent it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class StillPendingError(ServiceError):
    """WorkSpaces refused to delete a resource because it is still being made (PENDING)."""

    def __init__(self, code: str, message: str, resource_id: str) -> None:
        super().__init__(code, message)
        self.resource_id = resource_id


class NotAvailableError(ProviderError):
    """What the provider waited for will not be AVAILABLE: it went to ERROR, vanished, or the wait timed out."""


class NotDeliveredError(ProviderError):
    """CloudFormation's presigned URL did not accept an answer or a signal.

    Raised out of the invocation so that Lambda (or the watch's next tick) delivers it again; it is never
    turned into a FAILED answer or an undo.
    """


class InFlightError(ProviderError):
    """Another delivery of this very request is making the resource right now.

    Raised out of the invocation, unanswered, so that Lambda delivers the request again a minute later, when the
    other delivery has recorded what it made (record.py); never answered as FAILED.
    """


class RefusedError(ProviderError):
    """CloudFormation does not stand behind the request (trust.py): nothing is done, and the answer says why."""
