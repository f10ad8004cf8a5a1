"""Local stand-ins for the AWS APIs this project calls: WorkSpaces, EventBridge, DynamoDB, CodePipeline and SSM
Parameter Store, on a virtual clock, with the callers' IAM identity-based policies enforced."""

from aws_emulator.access import AccessControl, Credentials, Denial, Principal
from aws_emulator.clock import VirtualClock
from aws_emulator.codepipeline import CodePipelineBackend, Execution
from aws_emulator.dynamodb import DynamoDBBackend
from aws_emulator.events import Delivery, EventBridgeBackend, Firing, PutEvent, rate_seconds
from aws_emulator.iam import Decision, PolicyError, RequestContext, evaluate
from aws_emulator.service import Backend, Call, ServiceError
from aws_emulator.ssm import Parameter, ParameterStore, SSMBackend
from aws_emulator.transport import EmulatorServer, attach, dispatch, serve
from aws_emulator.workspaces import Bundle, Image, Plan, Regions, WorkSpacesBackend

__all__ = [
    "AccessControl",
    "Backend",
    "Bundle",
    "Call",
    "CodePipelineBackend",
    "Credentials",
    "Decision",
    "Delivery",
    "Denial",
    "DynamoDBBackend",
    "EmulatorServer",
    "EventBridgeBackend",
    "Execution",
    "Firing",
    "Image",
    "Parameter",
    "ParameterStore",
    "Plan",
    "PolicyError",
    "Principal",
    "PutEvent",
    "Regions",
    "RequestContext",
    "SSMBackend",
    "ServiceError",
    "VirtualClock",
    "WorkSpacesBackend",
    "attach",
    "dispatch",
    "evaluate",
    "rate_seconds",
    "serve",
]
