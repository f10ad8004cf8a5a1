"""The emulated AWS that the driver deploys into: WorkSpaces, EventBridge, DynamoDB, CodePipeline and SSM Parameter
Store behind one loopback endpoint, and whatever else is served there (`add_backend`: the driver's CloudFormation
API)."""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_emulator import (
    AccessControl,
    Backend,
    CodePipelineBackend,
    DynamoDBBackend,
    EmulatorServer,
    EventBridgeBackend,
    Regions,
    SSMBackend,
    VirtualClock,
    WorkSpacesBackend,
    serve,
)

ACCOUNT = "111122223333"
REGION = "eu-west-1"
LAMBDA_ARN_PREFIX = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"


class LocalCloud:
    """What an unmodified boto3 in the provider Lambda talks to, through AWS_ENDPOINT_URL_* variables.

    `workspaces`, `events`, `dynamodb`, `codepipeline` and `ssm` are the backends; `workspaces_options` go to the
    WorkSpaces backend and `dynamodb_options` to the DynamoDB one.

    WorkSpaces is served in every Region: `workspaces` is the home Region's (REGION) backend, and
    `workspaces_in(region)` another's, made the first time a test or a request names it, with the same clock,
    account, access control and `workspaces_options`. The one endpoint routes each WorkSpaces request to the
    Region its signature is for (a client's region_name), so the Lambda's `boto3.client("workspaces",
    region_name=...)` reaches that Region. The other services are the home Region's only.

    A pipeline the update monitor starts must exist first: `cloud.codepipeline.add_pipeline(name)`. `ssm` is the
    Region's parameter store: the driver's AWS::SSM::Parameter resources live there, and SSM-typed template
    parameters are read from it.

    IAM is enforced (`enforce_iam`, on by default): every request that reaches the endpoint is
    signed with credentials from `assume_role`, and the backends check the role's identity-based
    policies before they act, answering AccessDeniedException as the services do. With
    `enforce_iam=False` any caller may do anything. Calls made through `call` (CloudFormation, with
    the deployer's credentials) and straight through a backend's `handle` are never checked.
    """

    def __init__(
        self,
        clock: VirtualClock | None = None,
        *,
        enforce_iam: bool = True,
        dynamodb_options: Mapping[str, Any] | None = None,
        **workspaces_options: Any,
    ) -> None:
        self.clock = clock or VirtualClock()
        self._workspaces_options = dict(workspaces_options)
        self.workspaces = WorkSpacesBackend(self.clock, ACCOUNT, REGION, **workspaces_options)
        self.workspaces_regions = Regions(self.workspaces, self._regional_workspaces)
        self.events = EventBridgeBackend(self.clock, ACCOUNT, REGION)
        self.dynamodb = DynamoDBBackend(self.clock, ACCOUNT, REGION, **dict(dynamodb_options or {}))
        self.codepipeline = CodePipelineBackend(self.clock, ACCOUNT, REGION)
        self.ssm = SSMBackend(self.clock, ACCOUNT, REGION)
        self.backends: dict[str, Backend] = {
            b.service_name: b for b in (self.workspaces, self.events, self.dynamodb, self.codepipeline, self.ssm)
        }
        self.access = AccessControl(enforce=enforce_iam)
        for backend in self.backends.values():
            backend.access = self.access
        self.server: EmulatorServer = serve(self.backends.values())

    def workspaces_in(self, region: str) -> WorkSpacesBackend:
        """The WorkSpaces backend of `region` (the home one for REGION), made now if nothing named it before."""
        return self.workspaces_regions.get(region)

    def _regional_workspaces(self, region: str) -> WorkSpacesBackend:
        options = dict(self._workspaces_options)
        seed = options.get("seed")
        if seed is not None:
            # Each Region its own ids (a fixed seed would draw the home Region's ids again), still reproducible.
            options["seed"] = seed + zlib.crc32(region.encode())
        backend = WorkSpacesBackend(self.clock, ACCOUNT, region, **options)
        backend.access = self.access
        return backend

    def assume_role(
        self, role_arn: str, session_name: str, policies: Callable[[], Sequence[Mapping[str, Any]]]
    ) -> dict[str, str]:
        """Credentials for a session of `role_arn`, as the AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
        AWS_SESSION_TOKEN variables Lambda gives a function; `policies` answers the role's identity-based policy
        documents as they are at the moment of each request."""
        return self.access.assume_role(role_arn, session_name, policies).environ()

    def revoke(self, access_key_id: str) -> None:
        """Forget credentials (their function is gone): a request signed with them is no longer recognised."""
        self.access.revoke(access_key_id)

    def stall_after(self, operation: str, seconds: float) -> None:
        """Hold the answer to the next `operation` for `seconds` of real time, after the service acted on it.

        The caller cannot tell whether the call worked: a Lambda timeout in the middle of a create.
        """
        handle = self.workspaces.handle
        pending = [operation]

        def stalling(
            name: str, params: Mapping[str, Any] | None = None, *, caller: str | None = None
        ) -> dict[str, Any]:
            answer = handle(name, params, caller=caller)
            if name in pending:
                pending.remove(name)
                time.sleep(seconds)  # real time: the worker process must really hit its limit
            return answer

        self.workspaces.handle = stalling  # type: ignore[method-assign,assignment]

    def call(self, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """One API call as CloudFormation makes it (botocore service name, e.g. "dynamodb"); raises ServiceError.

        It goes through the backend's front door: validated, logged in its calls, and answered
        by any fault injected for that operation.
        """
        return self.backends[service].handle(operation, params)

    def lambda_env(self) -> dict[str, str]:
        return self.server.environ()

    def add_backend(self, backend: Backend) -> None:
        """Serve one more service at the endpoint (the lifecycle driver's CloudFormation API), with this cloud's
        access control; a backend of the same service is replaced. `backends` names it by its service name."""
        backend.access = self.access
        self.backends[backend.service_name] = backend
        self.server.add(backend)

    def due_targets(self, now: float) -> list[tuple[str, Any]]:
        """The Lambda deliveries due by `now` (schedules' and put events'), each as (function ARN, the event as the
        function receives it). Deliveries to other targets (SNS topics, ...) stay recorded in `events.deliveries`
        only: nothing here hosts them."""
        return [(d.arn, d.event) for d in self.events.due(now) if d.arn.startswith(LAMBDA_ARN_PREFIX)]

    def next_due(self, now: float) -> float | None:
        return self.events.next_due()

    def close(self) -> None:
        self.server.stop()
