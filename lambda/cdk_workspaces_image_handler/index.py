"""The Lambda entry point: one function serves every image and bundle resource of a stack.

Two kinds of events arrive here:
- CloudFormation custom resource requests, dispatched by crhelper (cloudformation.Protocol). Each is believed only
  once CloudFormation confirms it (trust.py): its ResponseURL must be CloudFormation's, and the stack must be
  sending that very request. Nothing is written before that.
- ticks of the stack's watch rule (watch.py), which look at every pending wait and end those that are over.
  A tick's event carries nothing the handler reads: what to look at comes from the stack's watch table.

Both go to the lifecycle registered for the resource type (LIFECYCLES). Anything else is logged and dropped. The
Lambda runtime calls ``index.handler``: the asset's top-level index.py only imports ``handler`` from here.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from . import contract
from .bus import Bus
from .cloudformation import (
    Answer,
    Failure,
    Protocol,
    ResourceEvent,
    Sender,
    Silence,
    foreign_stack,
    not_created_id,
    put_json,
)
from .errors import InFlightError, InvalidInputError, RefusedError
from .record import Records
from .trust import Claim, Confirmed, PresignedKind, StackReader, handle_refusal, presigned_url_problem, refusal
from .watch import Watch, Watches

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_workspaces import WorkSpacesClient

log = logging.getLogger(__name__)


@dataclass
class Deps:
    """The outside world, built once per container and replaceable by tests."""

    workspaces: WorkSpacesClient
    # EventBridge, for the watch rule; and for the events the provider puts on the default bus (bus.py), the
    # same client in Lambda.
    events: EventBridgeClient
    bus: EventBridgeClient
    dynamodb: DynamoDBClient
    # The stack's watch table and rule (watch.py).
    watch_table: str
    watch_rule: str
    # The function's own stack: requests naming another are refused.
    stack_id: str
    # CloudFormation, asked about the function's own stack before any request is believed (trust.py).
    cloudformation: CloudFormationClient
    send: Sender = put_json
    clock: Callable[[], float] = field(default=time.time)
    # A WorkSpaces client of another Region (where a copy is made); None: the provider's Region only.
    workspaces_in: Callable[[str], WorkSpacesClient] | None = None
    # What the template says through the environment: the bundles apply_to_bundle names, the accounts images are
    # shared with, and hosts besides S3's that CloudFormation's answers may go to.
    apply_bundles: frozenset[str] = frozenset()
    share_accounts: frozenset[str] = frozenset()
    trusted_hosts: tuple[str, ...] = ()
    # The DNS suffix of the stack's partition, where CloudFormation's presigned URLs point.
    dns_suffix: str = "amazonaws.com"
    # The event bus the events go on (contract.ENV_EVENT_BUS); None: the default bus.
    event_bus: str | None = None


deps: Deps | None = None
# The answer goes through whatever deps.send is when it is sent, so that tests can replace it.
protocol = Protocol(send=lambda url, body: (deps.send if deps else put_json)(url, body))

try:
    import boto3
    from botocore.config import Config
    from botocore.loaders import create_loader

    from .bundle import BundleLifecycle
    from .bundle_image import BundleImageLifecycle
    from .captured import CapturedLifecycle
    from .copy import CopyLifecycle
    from .image import ImageLifecycle
    from .image_builder import ImageBuilderLifecycle
    from .imported import ImportedLifecycle
    from .lifecycle import Lifecycle, Template
    from .trust import dns_suffix_of, partition_of
    from .workspaces import WorkSpaces

    # Every resource type this provider serves, by ResourceType: index.py knows no more of them than this.
    LIFECYCLES: Mapping[str, type[Lifecycle]] = {
        kind.RESOURCE_TYPE: kind
        for kind in (
            ImageLifecycle,
            BundleLifecycle,
            BundleImageLifecycle,
            CopyLifecycle,
            CapturedLifecycle,
            ImportedLifecycle,
            ImageBuilderLifecycle,
        )
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

    def _workspaces_in(region: str) -> WorkSpacesClient:
        """WorkSpaces in another Region, one client per Region and container."""
        return cast("WorkSpacesClient", _regional.setdefault(region, _LazyClient("workspaces", region)))

    def _listed(name: str) -> list[str]:
        """A list the template put in the environment, separated by commas; absent or empty: none."""
        return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]

    # Each a client of its service to whoever calls it.
    _events = cast("EventBridgeClient", _LazyClient("events"))
    _stack_id = os.environ[contract.ENV_STACK_ID]
    deps = Deps(
        workspaces=cast("WorkSpacesClient", _LazyClient("workspaces")),
        events=_events,
        bus=_events,
        dynamodb=cast("DynamoDBClient", _LazyClient("dynamodb")),
        watch_table=os.environ[contract.ENV_WATCH_TABLE],
        watch_rule=os.environ[contract.ENV_WATCH_RULE],
        stack_id=_stack_id,
        cloudformation=cast("CloudFormationClient", _LazyClient("cloudformation")),
        workspaces_in=_workspaces_in,
        apply_bundles=frozenset(_listed(contract.ENV_APPLY_BUNDLES)),
        share_accounts=frozenset(_listed(contract.ENV_SHARE_ACCOUNTS)),
        trusted_hosts=tuple(_listed(contract.ENV_TRUSTED_RESPONSE_HOSTS)),
        # botocore's own endpoint data says where each partition's services live.
        dns_suffix=dns_suffix_of(partition_of(_stack_id), create_loader().load_data("partitions")["partitions"]),
        event_bus=os.environ.get(contract.ENV_EVENT_BUS) or None,
    )
except Exception as error:
    protocol.init_failure(error)


def watches() -> Watches:
    assert deps is not None  # crhelper answers init failures before any request reaches here
    return Watches(deps.dynamodb, deps.watch_table, deps.events, deps.watch_rule)


def lifecycle_for(resource_type: str, invocation_ends: float | None = None) -> Lifecycle:
    """The lifecycle of this resource type. Raises ProviderError."""
    assert deps is not None  # crhelper answers init failures before any request reaches here
    kind = LIFECYCLES.get(resource_type)
    if kind is None:
        raise InvalidInputError(
            f"this provider does not serve resources of type {resource_type!r}; it serves {', '.join(LIFECYCLES)}"
        )
    regional = deps.workspaces_in
    elsewhere = (lambda region: WorkSpaces(regional(region))) if regional else None
    lifecycle = kind(
        WorkSpaces(deps.workspaces),
        watches(),
        Bus(deps.bus, deps.event_bus),
        trusted_send,
        deps.clock,
        elsewhere,
        records=Records(deps.dynamodb, deps.watch_table),
        template=Template(apply_bundles=deps.apply_bundles, share_accounts=deps.share_accounts),
    )
    if invocation_ends is not None:
        lifecycle.invocation_ends = invocation_ends
    return lifecycle


def untrusted_url(url: str, kind: PresignedKind) -> str | None:
    """Why the provider must not PUT to `url`, or None when it is CloudFormation's (trust.py)."""
    assert deps is not None
    return presigned_url_problem(url, deps.stack_id, kind, deps.dns_suffix, deps.trusted_hosts)


def trusted_send(url: str, body: Any) -> None:
    """Every answer and signal a wait sends goes through here: to CloudFormation's presigned URLs only. A URL that
    is not one came from nowhere the provider trusts (its table is its own): nothing is sent, and it is logged."""
    assert deps is not None
    kind: PresignedKind = "signal" if "UniqueId" in body else "response"
    problem = untrusted_url(url, kind)
    if problem:
        log.error("nothing sent: %s", problem)
        return
    deps.send(url, body)


def confirm(ev: ResourceEvent, lifecycle: Lifecycle) -> Confirmed:
    """Ask CloudFormation whether it is sending this very request (trust.py). Raises RefusedError when it is not, and
    ProviderError when it can't be asked."""
    assert deps is not None
    reader = StackReader(deps.cloudformation, deps.stack_id)
    claim = Claim(ev.request_type, ev.logical_id, ev.resource_type, ev.physical_id)
    resource = reader.resource(ev.logical_id)
    replacements = lifecycle.records.of(ev.logical_id).replacements()
    why = refusal(claim, reader.stack(), resource, replacements)
    if why:
        raise RefusedError(why)
    handle = ev.properties.get(contract.ImageProps.WAIT_HANDLE) if ev.request_type != "Delete" else None
    if handle:
        why = untrusted_url(str(handle), "signal") or handle_refusal(str(handle), reader.wait_handles())
        if why:
            raise RefusedError(why)
    current = resource is not None and bool(ev.physical_id) and ev.physical_id == resource.physical_id
    return Confirmed(current=current)


def _serve(
    event: dict[str, Any], context: Any, request: Callable[[Lifecycle, ResourceEvent], Answer]
) -> Answer | Failure | Silence:
    """Run one request; what it returns (never raises) is what cloudformation.Protocol answers."""
    ev = ResourceEvent.parse(event)
    log.info("%s %s (%s) of %s", ev.request_type, ev.logical_id, ev.resource_type, ev.physical_id)
    assert deps is not None  # crhelper answers init failures before any request reaches here
    problem = untrusted_url(ev.response_url, "response")
    if problem:
        return Silence(problem)
    refused = foreign_stack(ev, deps.stack_id)
    if refused:
        log.warning("refused: %s", refused.reason)
        return refused
    lifecycle: Lifecycle | None = None
    try:
        ends = deps.clock() + context.get_remaining_time_in_millis() / 1000 if context is not None else None
        lifecycle = lifecycle_for(ev.resource_type, ends)
        lifecycle.confirmed = confirm(ev, lifecycle)
        lifecycle.adopt_current(ev)
        return request(lifecycle, ev)
    except RefusedError as error:
        log.warning("refused: %s", error)
        return Failure(str(error), refused=True)
    except InFlightError as error:
        return Silence(str(error), retry=True)
    except Exception as error:
        log.exception("%s %s failed", ev.request_type, ev.logical_id)
        return Failure(str(error), made=lifecycle.made if lifecycle else None)


def _delete(lifecycle: Lifecycle, ev: ResourceEvent) -> Answer:
    return lifecycle.delete(ev) or Answer(ev.physical_id or not_created_id(ev.logical_id))


def create(event: dict[str, Any], context: Any) -> Answer | Failure | Silence:
    return _serve(event, context, lambda lifecycle, ev: lifecycle.create(ev))


def update(event: dict[str, Any], context: Any) -> Answer | Failure | Silence:
    return _serve(event, context, lambda lifecycle, ev: lifecycle.update(ev))


def delete(event: dict[str, Any], context: Any) -> Answer | Failure | Silence:
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


# What every custom resource request carries (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html).
_REQUEST_FIELDS = ("RequestType", "ResponseURL", "StackId", "RequestId", "LogicalResourceId")


def is_request(event: Any) -> bool:
    """Is `event` shaped like a custom resource request? Whether it is genuine is decided later (trust.py)."""
    return (
        isinstance(event, dict)
        and event.get("RequestType") in ("Create", "Update", "Delete")
        and all(isinstance(event.get(name), str) and event.get(name) for name in _REQUEST_FIELDS)
    )


def handler(event: Any, context: Any) -> None:
    if isinstance(event, dict) and contract.WATCH_KEY in event:
        if protocol.init_error is not None:
            raise protocol.init_error  # the rule fires again; nothing is lost
        # Whatever the event says is ignored: what to look at, whom to tell and what to undo are in the table.
        tick()
        return
    if not is_request(event):
        # Neither a request nor a tick: nothing to answer and nothing a retry would change, so end without failing
        # (a failed invocation would make Lambda deliver it twice more).
        keys = sorted(event)[:10] if isinstance(event, dict) else type(event).__name__
        log.warning("ignored an event that is neither a custom resource request nor a watch tick: %s", keys)
        return
    protocol(event, context)
