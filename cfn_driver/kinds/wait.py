"""Wait conditions and their handles.

Sources (AWS CloudFormation User Guide): "AWS::CloudFormation::WaitCondition" and "...WaitConditionHandle": Count,
Timeout (at most 43200 s), the Data attribute, and that signals sent before the condition starts still count (the
guide's own example makes the wait condition depend on the instance that signals it). Neither can be updated.
"""

from __future__ import annotations

import json
import uuid
from abc import abstractmethod

from cfn_driver.kinds.base import Change, Driver, Provisioner
from cfn_driver.model import Pending, Result

MAX_WAIT_CONDITION_TIMEOUT = 43200


class _CreateOnly(Provisioner):
    def provision(self, driver: Driver, change: Change) -> Result | Pending:
        if change.old is not None:
            return Result(False, f"Updates aren't supported for {change.type}")
        return self.create(driver, change)

    @abstractmethod
    def create(self, driver: Driver, change: Change) -> Result | Pending: ...


class WaitConditionHandle(_CreateOnly):
    """Ref is the presigned URL a signal goes to (the driver's inbox)."""

    types = ("AWS::CloudFormation::WaitConditionHandle",)

    def create(self, driver: Driver, change: Change) -> Result | Pending:
        token = f"{change.stack.name}-{change.logical_id}-{uuid.uuid4().hex[:8]}"
        driver.record(change.stack, change.resource(driver.inbox.handle_url(token), {"token": token}))
        return Result(True, physical_id=change.stack.resources[change.logical_id].physical_id)


class WaitCondition(_CreateOnly):
    """Complete once its handle has Count success signals (by UniqueId), failed by a failure signal or at Timeout."""

    types = ("AWS::CloudFormation::WaitCondition",)

    def create(self, driver: Driver, change: Change) -> Result | Pending:
        stack, lid, props = change.stack, change.logical_id, change.properties
        handle_url = str(props["Handle"])
        handle = next(r for r in stack.resources.values() if r.physical_id == handle_url)
        token = handle.attributes["token"]
        count = int(props.get("Count", 1))
        timeout = int(props["Timeout"])
        if not 0 < timeout <= MAX_WAIT_CONDITION_TIMEOUT:
            return Pending(
                driver.clock.now(),
                lambda: Result(False, f"Timeout {timeout} is outside 1..43200"),
                lambda: Result(False),
            )
        physical = f"arn:aws:cloudformation:{driver.region}:{driver.account}:stack/{stack.name}/{lid}"

        def poll() -> Result | None:
            signals = driver.inbox.signals.get(token, [])
            for s in signals:
                if s.get("Status") == "FAILURE":
                    return Result(
                        False,
                        f"WaitCondition received failed message: '{s.get('Reason', '')}' "
                        f"for uniqueId: {s.get('UniqueId')}",
                    )
            ok = {str(s.get("UniqueId")): s.get("Data", "") for s in signals if s.get("Status") == "SUCCESS"}
            if len(ok) < count:
                return None
            driver.record(stack, change.resource(physical, {"Data": json.dumps(ok)}))
            return Result(True, physical_id=physical)

        def timed_out() -> Result:
            received = len({s.get("UniqueId") for s in driver.inbox.signals.get(token, [])})
            return Result(False, f"WaitCondition timed out. Received {received} conditions when expecting {count}")

        return Pending(driver.clock.now() + timeout, poll, timed_out)
