"""Resource types the driver records and makes no API call for."""

from __future__ import annotations

from cfn_driver.kinds.base import Change, Driver, Provisioner
from cfn_driver.kinds.iam import POLICY
from cfn_driver.model import Pending, Result


class Recorded(Provisioner):
    """Ref is a generated name, kept by an update; Fn::GetAtt Arn an ARN of the type's service with that name."""

    types = (
        # Read back with the roles (kinds.iam.role_policies).
        POLICY,
        "AWS::Logs::LogGroup",
        "AWS::Lambda::Permission",
        "AWS::CDK::Metadata",
        # A topic's resource-based policy: recorded, with no effect (the emulator enforces identity-based policies
        # only, and nothing publishes to a topic here).
        "AWS::SNS::TopicPolicy",
    )

    def provision(self, driver: Driver, change: Change) -> Result | Pending:
        old = change.old
        physical = old.physical_id if old else driver.generated_name(change.stack, change.logical_id)
        arn = f"arn:aws:{change.type.split('::')[1].lower()}:{driver.region}:{driver.account}:{physical}"
        driver.record(change.stack, change.resource(physical, {"Arn": arn}))
        return Result(True, physical_id=physical)
