"""What the services answered by moto's backends share: running one of moto's operations and answering its refusal
as this emulator's ServiceError.

moto raises two kinds of error: `ServiceException` (its newer services: `code`, `message`) and `JsonRESTError` (the
older ones: `error_type`, `message`, and the HTTP status as `code`). Either becomes the same AWS JSON error body the
emulator's own services answer (aws_emulator.service.ServiceError), so callers see one shape whichever answered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from moto.core.exceptions import JsonRESTError, ServiceException

from aws_emulator.service import ServiceError

T = TypeVar("T")


def answered(operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`operation(*args, **kwargs)` of a moto backend; its refusal raised as a ServiceError (HTTP 400)."""
    try:
        return operation(*args, **kwargs)
    except ServiceException as refused:
        raise ServiceError(refused.code, refused.message) from None
    except JsonRESTError as refused:
        raise ServiceError(refused.relative_error_type, refused.message, int(refused.code or 400)) from None
