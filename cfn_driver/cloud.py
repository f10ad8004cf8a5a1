"""The emulated AWS that the driver deploys into: WorkSpaces and EventBridge behind one loopback endpoint."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from aws_emulator import EmulatorServer, EventBridgeBackend, VirtualClock, WorkSpacesBackend, serve

ACCOUNT = "111122223333"
REGION = "eu-west-1"


class LocalCloud:
    """What an unmodified boto3 in the provider Lambda talks to, through AWS_ENDPOINT_URL_* variables."""

    def __init__(self, clock: VirtualClock | None = None, **workspaces_options: Any) -> None:
        self.clock = clock or VirtualClock()
        self.workspaces = WorkSpacesBackend(self.clock, ACCOUNT, REGION, **workspaces_options)
        self.events = EventBridgeBackend(self.clock, ACCOUNT, REGION)
        self.server: EmulatorServer = serve([self.workspaces, self.events])

    def stall_after(self, operation: str, seconds: float) -> None:
        """Hold the answer to the next `operation` for `seconds` of real time, after the service acted on it.

        The caller cannot tell whether the call worked: a Lambda timeout in the middle of a create.
        """
        handle = self.workspaces.handle
        pending = [operation]

        def stalling(name: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
            answer = handle(name, params)
            if name in pending:
                pending.remove(name)
                time.sleep(seconds)  # real time: the worker process must really hit its limit
            return answer

        self.workspaces.handle = stalling  # type: ignore[method-assign,assignment]

    def lambda_env(self) -> dict[str, str]:
        return self.server.environ()

    def due_targets(self, now: float) -> list[tuple[str, dict[str, Any]]]:
        return [(f.arn, json.loads(f.input) if f.input else {}) for f in self.events.due(now)]

    def next_due(self, now: float) -> float | None:
        return self.events.next_due()

    def close(self) -> None:
        self.server.stop()
