"""The Lambda entry point: one function serves every image and bundle resource of a stack.

Two kinds of events arrive here:
- CloudFormation custom resource requests, dispatched by crhelper (cloudformation.Protocol);
- ticks of the stack's watch rule (watch.py), which look at every pending wait and end those that are over.
  A tick's event carries nothing the handler reads: what to look at comes from the stack's watch table.

Both go to the lifecycle registered for the resource type (LIFECYCLES). The Lambda runtime calls
``index.handler``: the asset's top-level index.py only imports ``handler`` from here.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import contract
from .bus import Bus
from .cloudformation import (
    Answer,
    Failure,
    Protocol,
    ResourceEvent,
    Sender,
    foreign_stack,
    not_created_id,
    put_json,
)
from .errors import InvalidInputError
from .watch import Watch, Watches

log = logging.getLogger(__name__)


@dataclass
class Deps:
    """The outside world, built once per container and replaceable by tests."""

    workspaces: Any
    # EventBridge, for the watch rule; and for the events the provider puts on the default bus (bus.py), the
    # same client in Lambda.
    events: Any
    bus: Any
    dynamodb: Any
    # The stack's watch table and rule (watch.py).
    watch_table: str
    watch_rule: str
    # The function's own stack: requests naming another are refused.
    stack_id: str
    send: Sender = put_json
    clock: Callable[[], float] = field(default=time.time)
    # A WorkSpaces client of another Region (where a copy is made); None: the provider's Region only.
    workspaces_in: Callable[[str], Any] | None = None


deps: Deps | None = None
# The answer goes through whatever deps.send is when it is sent, so that tests can replace it.
protocol = Protocol(send=lambda url, body: (deps.send if deps else put_json)(url, body))

try:
    import boto3
    from botocore.config import Config

    from .bundle import BundleLifecycle
    from .bundle_image import BundleImageLifecycle
    from .copy import CopyLifecycle
    from .image import ImageLifecycle
    from .lifecycle import Lifecycle
    from .workspaces import WorkSpaces

    # Every resource type this provider serves, by ResourceType: index.py knows no more of them than this.
    LIFECYCLES: Mapping[str, type[Lifecycle]] = {
        kind.RESOURCE_TYPE: kind for kind in (ImageLifecycle, BundleLifecycle, BundleImageLifecycle, CopyLifecycle)
    }

    # Throttling is retried with exponential backoff (botocore "standard" mode);
    # the model declares no ThrottlingException but the service throttles.
    _config = Config(retries={"mode": "standard", "max_attempts": 10}, user_agent_extra="cdk-workspaces-image")

    class _LazyClient:
        """A boto3 client made on first use: a tick that finds its image still PENDING never needs
        EventBridge, and making a client is the larger part of a cold start."""

        def __init__(self, service: str, region: str | None = None) -> None:
            self._service = service
            self._region = region
            self._client: Any = None

        def __getattr__(self, name: str) -> Any:
            if self._client is None:
                make: Any = boto3.client  # its typed overloads want a literal service name
                self._client = make(self._service, config=_config, region_name=self._region)
            return getattr(self._client, name)

    _regional: dict[str, _LazyClient] = {}

    def _workspaces_in(region: str) -> Any:
        """WorkSpaces in another Region, one client per Region and container."""
        return _regional.setdefault(region, _LazyClient("workspaces", region))

    _events = _LazyClient("events")
    deps = Deps(
        workspaces=_LazyClient("workspaces"),
        events=_events,
        bus=_events,
        dynamodb=_LazyClient("dynamodb"),
        watch_table=os.environ[contract.ENV_WATCH_TABLE],
        watch_rule=os.environ[contract.ENV_WATCH_RULE],
        stack_id=os.environ[contract.ENV_STACK_ID],
        workspaces_in=_workspaces_in,
    )
except Exception as error:
    protocol.init_failure(error)


def watches() -> Watches:
    assert deps is not None  # crhelper answers init failures before any request reaches here
    return Watches(deps.dynamodb, deps.watch_table, deps.events, deps.watch_rule)


def lifecycle_for(resource_type: str) -> Lifecycle:
    """The lifecycle of this resource type. Raises ProviderError."""
    assert deps is not None  # crhelper answers init failures before any request reaches here
    kind = LIFECYCLES.get(resource_type)
    if kind is None:
        raise InvalidInputError(
            f"this provider does not serve resources of type {resource_type!r}; it serves {', '.join(LIFECYCLES)}"
        )
    regional = deps.workspaces_in
    elsewhere = (lambda region: WorkSpaces(regional(region))) if regional else None
    return kind(WorkSpaces(deps.workspaces), watches(), Bus(deps.bus), deps.send, deps.clock, elsewhere)


def _serve(
    event: dict[str, Any], context: Any, request: Callable[[Lifecycle, ResourceEvent], Answer]
) -> Answer | Failure:
    """Run one request; what it returns (never raises) is what cloudformation.Protocol answers."""
    ev = ResourceEvent.parse(event)
    log.info("%s %s (%s) of %s", ev.request_type, ev.logical_id, ev.resource_type, ev.physical_id)
    assert deps is not None  # crhelper answers init failures before any request reaches here
    refusal = foreign_stack(ev, deps.stack_id)
    if refusal:
        log.warning("refused: %s", refusal.reason)
        return refusal
    lifecycle: Lifecycle | None = None
    try:
        lifecycle = lifecycle_for(ev.resource_type)
        return request(lifecycle, ev)
    except Exception as error:
        log.exception("%s %s failed", ev.request_type, ev.logical_id)
        return Failure(str(error), made=lifecycle.made if lifecycle else None)


def _delete(lifecycle: Lifecycle, ev: ResourceEvent) -> Answer:
    return lifecycle.delete(ev) or Answer(ev.physical_id or not_created_id(ev.logical_id))


def create(event: dict[str, Any], context: Any) -> Answer | Failure:
    return _serve(event, context, lambda lifecycle, ev: lifecycle.create(ev))


def update(event: dict[str, Any], context: Any) -> Answer | Failure:
    return _serve(event, context, lambda lifecycle, ev: lifecycle.update(ev))


def delete(event: dict[str, Any], context: Any) -> Answer | Failure:
    return _serve(event, context, _delete)


protocol.create(create)
protocol.update(update)
protocol.delete(delete)


def tick() -> None:
    """Look at every pending wait of the stack, one Describe per 25 resources of a kind; end those that are
    over; disable the rule when none is left. Raises ProviderError when the watch table can't be read."""
    pending = watches()
    waits = pending.pending()
    by_type: dict[str, list[Watch]] = {}
    for watch in waits:
        by_type.setdefault(watch.resource_type, []).append(watch)
    ended = 0
    for resource_type, group in by_type.items():
        try:
            ended += lifecycle_for(resource_type).tick(group)
        except Exception:
            log.exception("could not look at the %d pending waits of %s", len(group), resource_type)
    if ended == len(waits):
        pending.idle()


def handler(event: dict[str, Any], context: Any) -> None:
    if contract.WATCH_KEY in event:
        if protocol.init_error is not None:
            raise protocol.init_error  # the rule fires again; nothing is lost
        # Whatever the event says is ignored: what to look at, whom to tell and what to undo are in the table.
        tick()
        return
    protocol(event, context)
