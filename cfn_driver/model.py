"""What the driver's stack operations work on: the emulated cloud and the clock it is given, stacks and the resources
they hold, the events an operation emits, and what a kind of resource answers the engine (`Result`, or `Pending`
while it waits). The engine (cfn_driver.engine) and every kind (cfn_driver.kinds) share them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aws_emulator.service import Backend
from aws_emulator.ssm import SSMBackend
from cfn_driver.assembly import Assembly


class Cloud(Protocol):
    """The emulated services, as the driver needs them."""

    def lambda_env(self) -> dict[str, str]: ...

    def assume_role(
        self, role_arn: str, session_name: str, policies: Callable[[], Sequence[Mapping[str, Any]]]
    ) -> dict[str, str]: ...

    def revoke(self, access_key_id: str) -> None: ...

    # The Region's parameter store, which AWS::SSM::Parameter resources write and SSM-typed template parameters read.
    @property
    def ssm(self) -> SSMBackend: ...

    def call(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]: ...

    def due_targets(self, now: float) -> list[tuple[str, Any]]: ...

    def next_due(self, now: float) -> float | None: ...

    # Serve one more service at the cloud's endpoint, its access control the cloud's: CloudFormation's own API.
    def add_backend(self, backend: Backend) -> None: ...


class Clock(Protocol):
    def now(self) -> float: ...

    def set(self, when: float) -> float: ...


@dataclass
class Resource:
    logical_id: str
    type: str
    physical_id: str
    properties: dict[str, Any]
    attributes: dict[str, Any] = field(default_factory=dict)
    deletion_policy: str = "Delete"
    update_replace_policy: str = "Delete"


@dataclass
class StackEvent:
    time: float
    logical_id: str
    status: str
    reason: str = ""


@dataclass
class Result:
    ok: bool
    reason: str = ""
    physical_id: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Pending:
    deadline: float
    poll: Callable[[], Result | None]
    on_timeout: Callable[[], Result]


@dataclass
class Reported:
    """What CloudFormation says of one logical id (DescribeStackResource, DescribeStackResources, ListStackResources):
    the physical resource it holds for it now ("" while a create has none yet), its type, its status and when that
    last changed, and the reason of that status."""

    logical_id: str
    type: str
    physical_id: str
    status: str
    updated: float
    reason: str = ""


@dataclass
class Stack:
    """A stack as the driver plays it. `resources` are the physical resources it manages, with their properties;
    `status` (with `status_reason`) and `reported` are what CloudFormation's read API answers at this moment, kept
    at every step of an operation (`CloudFormation._stack_status`, `_resource_status`). `reason` is why the last
    operation failed."""

    name: str
    stack_id: str
    template: dict[str, Any] = field(default_factory=dict)
    assembly: Assembly | None = None
    resources: dict[str, Resource] = field(default_factory=dict)
    status: str = "REVIEW_IN_PROGRESS"
    reason: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    status_reason: str = ""
    created: float = 0.0
    last_updated: float | None = None
    deleted: float | None = None
    reported: dict[str, Reported] = field(default_factory=dict)


@dataclass
class Faults:
    """Driver-side faults for the fault matrix."""

    # (logical id, request type) whose event Lambda delivers twice.
    duplicate: set[tuple[str, str]] = field(default_factory=set)
