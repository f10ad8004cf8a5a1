"""The lifecycle driver's registry of kinds: the provisioner the engine asks for each resource type."""

from __future__ import annotations

import pytest

from cfn_driver.kinds import KINDS
from cfn_driver.kinds.base import Registry
from cfn_driver.kinds.custom import CustomResource, UntypedCustomResource
from cfn_driver.kinds.kms import Key

MODELLED = [
    "AWS::CloudFormation::WaitCondition",
    "AWS::CloudFormation::WaitConditionHandle",
    "AWS::Lambda::Function",
    "AWS::DynamoDB::Table",
    "AWS::Events::Rule",
    "AWS::Events::EventBus",
    "AWS::Events::EventBusPolicy",
    "AWS::SSM::Parameter",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::SNS::Topic",
    "AWS::SNS::TopicPolicy",
    "AWS::KMS::Key",
    "AWS::Logs::LogGroup",
    "AWS::Lambda::Permission",
    "AWS::CDK::Metadata",
]


def test_every_custom_name_is_a_custom_resource_and_other_types_are_not() -> None:
    assert isinstance(KINDS.get("Custom::UpdatedWorkspaceImage"), CustomResource)
    assert isinstance(KINDS.get("Custom::"), CustomResource)
    assert isinstance(KINDS.get("AWS::CloudFormation::CustomResource"), UntypedCustomResource)
    assert KINDS.get("Customer::Thing") is None
    assert KINDS.get("AWS::EC2::Instance") is None


@pytest.mark.parametrize("rtype", MODELLED)
def test_each_modelled_type_has_its_own_kind(rtype: str) -> None:
    kind = KINDS.get(rtype)
    assert kind is not None
    assert rtype in kind.types
    assert not isinstance(kind, CustomResource)


def test_a_type_has_one_provisioner() -> None:
    with pytest.raises(ValueError, match="two provisioners for AWS::KMS::Key"):
        Registry([Key(), Key()])
