"""Talking to one emulator backend through an unmodified boto3 client, as the oracle tests do."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from aws_emulator import attach
from aws_emulator.service import Backend

# An error is answered once: a test sees the code the emulator chose, not what botocore's retries make of it.
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


def attached(service: str, backend: Backend) -> Any:
    """A boto3 client of `service` whose every request `backend` answers in-process."""
    make: Any = boto3.client  # its typed overloads want a literal service name
    client = make(service, config=NO_RETRIES)
    attach(client, backend)
    return client


def code_of(call: Any, **params: Any) -> str:
    """The error code of the ClientError that `call(**params)` must raise."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    return str(caught.value.response["Error"]["Code"])
