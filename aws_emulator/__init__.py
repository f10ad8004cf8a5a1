"""Local stand-ins for the AWS APIs this project calls: WorkSpaces, EventBridge and DynamoDB, on a virtual clock."""

from aws_emulator.clock import VirtualClock
from aws_emulator.dynamodb import DynamoDBBackend
from aws_emulator.events import EventBridgeBackend, Firing, rate_seconds
from aws_emulator.service import Backend, Call, ServiceError
from aws_emulator.transport import EmulatorServer, attach, dispatch, serve
from aws_emulator.workspaces import Bundle, Image, Plan, WorkSpacesBackend

__all__ = [
    "Backend",
    "Bundle",
    "Call",
    "DynamoDBBackend",
    "EmulatorServer",
    "EventBridgeBackend",
    "Firing",
    "Image",
    "Plan",
    "ServiceError",
    "VirtualClock",
    "WorkSpacesBackend",
    "attach",
    "dispatch",
    "rate_seconds",
    "serve",
]
