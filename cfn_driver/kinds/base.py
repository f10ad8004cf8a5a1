"""The one contract between the engine and a kind of resource, in the manner of aws-cdk's provider framework.

The engine (cfn_driver.engine) plays a stack operation: the order of the resources, their dependencies, the rollback,
the events and the virtual clock. For each resource it asks the `Provisioner` of the resource's type (the `Registry`,
cfn_driver.kinds) to make it (`provision`, a create or an update, which decides on a replacement itself), to delete
it (`delete`), and, in an update's rollback, to put back what it changed (`revert`). A kind answers with a `Result`,
or a `Pending` the engine polls as its clock moves; what it made, it records on the stack (`Driver.record`): the
physical id is what Ref answers, the attributes what Fn::GetAtt does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from aws_emulator.service import ServiceError
from cfn_driver.inbox import Inbox
from cfn_driver.lambda_host import LambdaHost
from cfn_driver.model import Clock, Cloud, Faults, Pending, Resource, Result, Stack


class Driver(Protocol):
    """What the engine (cfn_driver.engine.CloudFormation) offers a kind."""

    region: str
    account: str
    clock: Clock
    cloud: Cloud
    # Where custom resources answer and wait conditions are signalled.
    inbox: Inbox
    # The functions the driver hosts, by ARN.
    hosts: dict[str, LambdaHost]
    faults: Faults
    # Every custom resource request CloudFormation sent, in order.
    requests: list[dict[str, Any]]
    real_limit_seconds: float

    def record(self, stack: Stack, resource: Resource) -> None:
        """The stack holds `resource` for its logical id from now on."""

    def generated_name(self, stack: Stack, lid: str) -> str:
        """A name CloudFormation makes up: the stack's, the logical id's and a random suffix."""

    def short_name(self, stack: Stack, lid: str, limit: int) -> str:
        """`generated_name` within a service's length limit."""

    def aws(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """One API call as CloudFormation makes it; raises ServiceError."""

    def advance(self, limit: float) -> None:
        """Move the virtual clock to the next thing that can happen (at the latest `limit`), and make it happen."""

    def schedule(self, when: float, action: Callable[[], None]) -> None:
        """Run `action` when the virtual clock reaches `when`."""

    def invoke_async(self, arn: str, event: Any) -> None:
        """Invoke a hosted function as CloudFormation does, asynchronously, with Lambda's retries."""

    def attempting(self, lid: str, properties: dict[str, Any]) -> None:
        """Remember that this operation asked `lid` to take `properties`: a failed update's rollback puts back the
        previous properties from those."""

    def role_policies(self, role_arn: str) -> list[Mapping[str, Any]]:
        """The identity-based policies a role has now."""


@dataclass(frozen=True)
class Change:
    """Make the stack's `logical_id` a resource of `type` with `properties` (resolved): a create when `old` is None,
    else an update of `old`, the physical resource the stack holds for it now. `template` is the one the operation
    deploys (or rolls back to)."""

    stack: Stack
    template: dict[str, Any]
    logical_id: str
    type: str
    properties: dict[str, Any]
    old: Resource | None
    deletion_policy: str = "Delete"
    update_replace_policy: str = "Delete"

    @classmethod
    def back(cls, stack: Stack, current: Resource, old: Resource) -> Change:
        """A rollback's change: `current` (with the properties the update asked of it) back to `old`'s properties."""
        return cls(
            stack,
            stack.template,
            old.logical_id,
            current.type,
            old.properties,
            current,
            old.deletion_policy,
            old.update_replace_policy,
        )

    def resource(self, physical_id: str, attributes: dict[str, Any]) -> Resource:
        """The physical resource this change makes, as the stack records it."""
        return Resource(
            self.logical_id,
            self.type,
            physical_id,
            self.properties,
            attributes,
            self.deletion_policy,
            self.update_replace_policy,
        )


class Provisioner(ABC):
    """One kind of resource: the resource types in `types` ("Custom::*" stands for every Custom::<name>)."""

    types: ClassVar[tuple[str, ...]] = ()
    # Whether the rollback of an update that replaced the resource first sends the new one back to the previous
    # properties (CloudFormation.rollback_updates_replacements).
    reverts_replacement: ClassVar[bool] = False

    @abstractmethod
    def provision(self, driver: Driver, change: Change) -> Result | Pending:
        """Create the resource, or update it (in place, or by a replacement: a new physical id, the old one deleted in
        the cleanup); record what it made."""

    def delete(self, driver: Driver, stack: Stack, resource: Resource) -> Result:
        """Delete the physical resource; by default there is nothing to call."""
        return Result(True)

    def revert(self, driver: Driver, stack: Stack, current: Resource, old: Resource) -> Result:
        """In an update's rollback, put `current` (with the properties the update asked of it) back to `old`'s
        properties; by default there is nothing to call, and the stack simply holds `old` again."""
        return Result(True)


class PutBack(Provisioner):
    """A kind that makes and updates its resource with one `put`, and whose rollback puts the previous properties
    back the same way."""

    def provision(self, driver: Driver, change: Change) -> Result | Pending:
        if change.old is not None:
            driver.attempting(change.logical_id, change.properties)
        return self.put(driver, change)

    @abstractmethod
    def put(self, driver: Driver, change: Change) -> Result:
        """Create or update the resource, or put its previous properties back."""

    def revert(self, driver: Driver, stack: Stack, current: Resource, old: Resource) -> Result:
        return self.put(driver, Change.back(stack, current, old))


class Registry:
    """The provisioner of each resource type."""

    def __init__(self, provisioners: Iterable[Provisioner]) -> None:
        self._by_type: dict[str, Provisioner] = {}
        for provisioner in provisioners:
            for rtype in provisioner.types:
                if rtype in self._by_type:
                    raise ValueError(f"two provisioners for {rtype}")
                self._by_type[rtype] = provisioner

    def get(self, rtype: str) -> Provisioner | None:
        # "Custom resources": a custom resource's type is AWS::CloudFormation::CustomResource or Custom::<name>.
        return self._by_type.get(rtype) or self._by_type.get(rtype.split("::", 1)[0] + "::*")


def service_reason(error: ServiceError) -> str:
    return f"{error.message} (Error Code: {error.code})"


def unmodelled(rtype: str, properties: Iterable[str], known: set[str], what: str = "properties") -> Result | None:
    """The failure of a resource with properties the driver does not model, rather than drop them silently."""
    unknown = sorted(set(properties) - known)
    if unknown:
        return Result(False, f"the lifecycle driver does not model {rtype} {what} {', '.join(unknown)}")
    return None


def required(lid: str, key: str) -> Result:
    """The failure of a resource without a property its type requires (the template reference; CloudFormation's
    words for it are undocumented)."""
    return Result(False, f"Properties validation failed for resource {lid}: required key [{key}] not found")


def custom_name_replacement(name: str) -> str:
    # The template reference (TableName, "Name type"): a custom-named resource cannot be replaced; the words
    # CloudFormation uses are undocumented.
    return (
        "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
        f"Rename {name} and update the stack again."
    )
