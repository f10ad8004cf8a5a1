"""Local stand-ins for the AWS APIs this project calls: WorkSpaces and EventBridge, on a virtual clock."""

from emulator.clock import VirtualClock
from emulator.events import EventBridgeBackend, Firing, rate_seconds
from emulator.service import Backend, Call, ServiceError
from emulator.transport import EmulatorServer, attach, dispatch, serve
from emulator.workspaces import Bundle, Image, Plan, WorkSpacesBackend

__all__ = [
    "Backend",
    "Bundle",
    "Call",
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
