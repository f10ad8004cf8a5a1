"""The kinds of resource the lifecycle driver provisions, one provisioner each (the contract: kinds.base). A new kind
is a module here and a line in KINDS."""

from __future__ import annotations

from cfn_driver.kinds.base import Registry
from cfn_driver.kinds.custom import CustomResource, UntypedCustomResource
from cfn_driver.kinds.dynamodb import Table
from cfn_driver.kinds.events import EventBus, EventBusPolicy, Rule
from cfn_driver.kinds.function import Function
from cfn_driver.kinds.iam import Role
from cfn_driver.kinds.kms import Key
from cfn_driver.kinds.recorded import Recorded
from cfn_driver.kinds.sns import Topic
from cfn_driver.kinds.ssm import Parameter
from cfn_driver.kinds.wait import WaitCondition, WaitConditionHandle

KINDS = Registry(
    [
        CustomResource(),
        UntypedCustomResource(),
        WaitConditionHandle(),
        WaitCondition(),
        Function(),
        Table(),
        Rule(),
        EventBus(),
        EventBusPolicy(),
        Parameter(),
        Role(),
        Topic(),
        Key(),
        Recorded(),
    ]
)
