"""AWS::KMS::Key, recorded: nothing here calls KMS or encrypts."""

from __future__ import annotations

import uuid

from cfn_driver.kinds.base import Change, Driver, Provisioner
from cfn_driver.model import Pending, Result


class Key(Provisioner):
    """Ref is its key id, Fn::GetAtt Arn and KeyId
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-key.html). Every property
    updates the key in place; the id is a UUID, as KMS makes them, derived from the stack and logical id so that a run
    is repeatable."""

    types = ("AWS::KMS::Key",)

    def provision(self, driver: Driver, change: Change) -> Result | Pending:
        old = change.old
        key_id = (
            old.physical_id
            if old
            else str(uuid.uuid5(uuid.NAMESPACE_URL, f"{change.stack.stack_id}/{change.logical_id}"))
        )
        arn = f"arn:aws:kms:{driver.region}:{driver.account}:key/{key_id}"
        driver.record(change.stack, change.resource(key_id, {"Arn": arn, "KeyId": key_id}))
        return Result(True, physical_id=key_id)
