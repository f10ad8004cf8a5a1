"""AWS::SSM::Parameter, in the Region's parameter store (the cloud's `ssm`).

Source: "AWS::SSM::Parameter" (resource reference): Ref is the parameter's name; Name requires replacement, Value,
Type and Description update in place; SecureString is not supported by CloudFormation.
"""

from __future__ import annotations

from typing import Any

from aws_emulator.service import ServiceError
from cfn_driver.kinds.base import Change, Driver, Provisioner, service_reason, unmodelled
from cfn_driver.model import Pending, Resource, Result, Stack

SSM_PARAMETER = "AWS::SSM::Parameter"
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ssm-parameter.html: the properties
# a parameter may have. All but Tags go to PutParameter, which refuses what the emulator does not model; Tags are
# recorded only (CloudFormation adds them with AddTagsToResource, which is not emulated); anything else fails the
# resource rather than be silently dropped.
SSM_PARAMETER_PROPERTIES = {"Name", "Type", "Value", "Description", "AllowedPattern", "DataType", "Policies", "Tier"}
SSM_PARAMETER_IGNORED = {"Tags"}


class Parameter(Provisioner):
    """PutParameter in the Region's parameter store (`cloud.ssm`), the one functions read and write and SSM-typed
    template parameters read. A create does not overwrite (a name another stack or a function already holds fails it
    with ParameterAlreadyExists); an update in place overwrites, a new version, whatever a function wrote since. Ref
    is the parameter's name; a new Name replaces it (the old name goes in the cleanup, simplified here to at once,
    after the new one is written)."""

    types = (SSM_PARAMETER,)

    def provision(self, driver: Driver, change: Change) -> Result | Pending:
        props, old = change.properties, change.old
        refused = unmodelled(SSM_PARAMETER, props, SSM_PARAMETER_PROPERTIES | SSM_PARAMETER_IGNORED)
        if refused is not None:
            return refused
        name = str(
            props.get("Name")
            or (old.physical_id if old else f"CFN-{driver.generated_name(change.stack, change.logical_id)}")
        )
        request: dict[str, Any] = {key: props[key] for key in sorted(set(props) - SSM_PARAMETER_IGNORED - {"Name"})}
        request.update(
            Name=name, Value=str(props.get("Value", "")), Overwrite=old is not None and old.physical_id == name
        )
        try:
            driver.aws("ssm", "PutParameter", request)
            if old is not None and old.physical_id != name:
                _delete_parameter(driver, old.physical_id)
        except ServiceError as error:
            return Result(False, service_reason(error))
        attributes = {"Type": str(props.get("Type", "String")), "Value": str(props.get("Value", ""))}
        driver.record(change.stack, change.resource(name, attributes))
        return Result(True, physical_id=name)

    def delete(self, driver: Driver, stack: Stack, resource: Resource) -> Result:
        try:
            _delete_parameter(driver, resource.physical_id)
        except ServiceError as error:
            return Result(False, service_reason(error))
        return Result(True)


def _delete_parameter(driver: Driver, name: str) -> None:
    """DeleteParameter; one already gone is deleted (what CloudFormation does then is undocumented)."""
    try:
        driver.aws("ssm", "DeleteParameter", {"Name": name})
    except ServiceError as error:
        if error.code != "ParameterNotFound":
            raise
