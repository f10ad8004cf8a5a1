"""Lambda entry point of the cdk-workspaces-image provider: one function serves every resource of a stack.

Two kinds of events arrive here:
- CloudFormation custom resource requests, handled through crhelper;
- ticks of a watch rule (watch.py), which look at one image or bundle and end a wait.

Both go to the lifecycle registered for the resource type (LIFECYCLES).

crhelper is used for its event dispatch, its timeout guard and init_failure;
`Helper` below mends the pitfalls of crhelper 2.0.12 listed in facts.md.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cfn import ResourceEvent, not_created_id, put_json, response_body
from crhelper import CfnResource
from watch import WATCH_KEY, Scheduler, Watch

logger = logging.getLogger(__name__)


# crhelper's stubs leave out the private hooks that Helper overrides.
_CfnResource: Any = CfnResource


class Helper(_CfnResource):  # type: ignore[misc]
    """crhelper's CfnResource, with answers that CloudFormation always accepts."""

    def __init__(self) -> None:
        # DEBUG would make crhelper log the event and the ResponseURL, which is a credential.
        # sleep_on_delete: our Delete logs before answering, so the 120 s wait for logs buys nothing.
        # crhelper's constructor also makes lambda, events and logs clients for its own polling, which
        # this handler never uses, and which cost most of a cold start (benchmarks/, cold import). It
        # skips them under SAM local; that flag only matters to its polling, so it is unset again.
        saved = os.environ.get("AWS_SAM_LOCAL")
        os.environ["AWS_SAM_LOCAL"] = "skip-crhelper-clients"
        try:
            super().__init__(json_logging=False, log_level="INFO", boto_level="WARNING", sleep_on_delete=0)
        finally:
            if saved is None:
                del os.environ["AWS_SAM_LOCAL"]
            else:
                os.environ["AWS_SAM_LOCAL"] = saved
        self._sam_local = saved
        self.deferred = False
        self.made: Callable[[], str | None] = lambda: None
        self.undelivered: Exception | None = None

    def _crhelper_init(self, event: dict[str, Any], context: Any) -> bool:
        self.deferred = False
        self.made = lambda: None
        self.undelivered = None
        return bool(super()._crhelper_init(event, context))

    def generate_physical_id(self, event: Mapping[str, Any]) -> str:
        # crhelper #7 answers a random id for a failed Create; name what was made, if anything.
        return self.made() or not_created_id(str(event["LogicalResourceId"]))

    def _timeout(self) -> None:
        # crhelper answers FAILED just before Lambda's timeout, and Lambda then retries the invocation
        # anyway: a Create retried after CloudFormation rolled back would make an image nobody deletes.
        # So say nothing. The retry adopts what this attempt made and answers; should every attempt time
        # out, the ServiceTimeout fails the resource and the rollback Delete removes what was made.
        logger.error("about to time out: not answering, so that Lambda's retry finishes this request")

    def _cfn_response(self, event: dict[str, Any]) -> None:
        if self.deferred and self.Status != "FAILED":
            logger.info("answer deferred until the watched resource is AVAILABLE")
            return
        super()._cfn_response(event)

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        # crhelper #67 answers an empty id after init_failure; crhelper cuts reasons to
        # their last 240 characters; PR #79 takes any HTTP answer as delivered.
        if self.undelivered is not None:
            # crhelper answers FAILED when sending failed; that would turn a passing refusal of the
            # URL into a failed resource. Let the invocation fail instead, so Lambda retries it whole.
            raise self.undelivered
        physical = (
            str(self.PhysicalResourceId or "")
            or str(self._event.get("PhysicalResourceId") or "")
            or self.made()
            or not_created_id(self.LogicalResourceId)
        )
        body = response_body(
            status=status or self.Status,
            reason=str(reason if status else self.Reason),
            physical_id=physical,
            stack_id=self.StackId,
            request_id=self.RequestId,
            logical_id=self.LogicalResourceId,
            data=self.Data if (status or self.Status) == "SUCCESS" else {},
        )
        logger.info("answering %s for %s (%s)", body["Status"], self.LogicalResourceId, physical)
        try:
            (deps.send if deps else put_json)(self._response_url, body)
        except Exception as error:
            self.undelivered = error
            raise


helper = Helper()


@dataclass
class Deps:
    """The outside world, built once per container and replaceable by tests."""

    workspaces: Any
    events: Any
    rule_prefix: str
    poll_minutes: int = 1
    send: Any = None
    clock: Callable[[], float] = field(default=time.time)


deps: Deps | None = None
# Every resource type this provider serves, by ResourceType: index.py knows no more of them than this.
LIFECYCLES: dict[str, type[Lifecycle]] = {}
try:
    import boto3
    from botocore.config import Config
    from bundle import BundleImageLifecycle, BundleLifecycle
    from image import ImageLifecycle
    from lifecycle import Answer, Lifecycle
    from workspaces import WorkSpaces

    LIFECYCLES.update({kind.RESOURCE_TYPE: kind for kind in (ImageLifecycle, BundleLifecycle, BundleImageLifecycle)})

    # Throttling is retried with exponential backoff (botocore "standard" mode);
    # the model declares no ThrottlingException but the service throttles.
    _config = Config(retries={"mode": "standard", "max_attempts": 10}, user_agent_extra="cdk-workspaces-image")

    class _LazyClient:
        """A boto3 client made on first use: a tick that finds its image still PENDING never needs
        EventBridge, and making a client is the larger part of a cold start."""

        def __init__(self, service: str) -> None:
            self._service = service
            self._client: Any = None

        def __getattr__(self, name: str) -> Any:
            if self._client is None:
                make: Any = boto3.client  # its typed overloads want a literal service name
                self._client = make(self._service, config=_config)
            return getattr(self._client, name)

    deps = Deps(
        workspaces=_LazyClient("workspaces"),
        events=_LazyClient("events"),
        rule_prefix=os.environ["RULE_PREFIX"],
        poll_minutes=int(os.environ.get("POLL_MINUTES", "1")),
        send=put_json,
    )
except Exception as error:
    helper.init_failure(error)


def _lifecycle(resource_type: str) -> Lifecycle:
    assert deps is not None  # crhelper answers init failures before any handler runs
    kind = LIFECYCLES.get(resource_type)
    if kind is None:
        raise ValueError(
            f"this provider does not serve resources of type {resource_type!r}; it serves {', '.join(LIFECYCLES)}"
        )
    lifecycle = kind(
        WorkSpaces(deps.workspaces), Scheduler(deps.events, deps.rule_prefix, deps.poll_minutes), deps.send, deps.clock
    )
    helper.made = lambda: lifecycle.made
    return lifecycle


def _answer(answer: Answer) -> str:
    helper.Data.update(answer.data)
    helper.deferred = answer.deferred
    return answer.physical_id


def create(event: dict[str, Any], context: Any) -> str:
    ev = ResourceEvent.parse(event)
    logger.info("Create %s (%s)", ev.logical_id, ev.resource_type)
    return _answer(_lifecycle(ev.resource_type).create(ev, context.invoked_function_arn))


def update(event: dict[str, Any], context: Any) -> str:
    ev = ResourceEvent.parse(event)
    logger.info("Update %s (%s) of %s", ev.logical_id, ev.resource_type, ev.physical_id)
    return _answer(_lifecycle(ev.resource_type).update(ev, context.invoked_function_arn))


def delete(event: dict[str, Any], context: Any) -> str:
    ev = ResourceEvent.parse(event)
    logger.info("Delete %s (%s) of %s", ev.logical_id, ev.resource_type, ev.physical_id)
    _lifecycle(ev.resource_type).delete(ev)
    return ev.physical_id or not_created_id(ev.logical_id)


helper.create(create)
helper.update(update)
helper.delete(delete)


def handler(event: dict[str, Any], context: Any) -> None:
    if WATCH_KEY in event:
        if helper._init_failed:
            raise helper._init_failed  # the rule fires again; nothing is lost
        watch = Watch.from_event(event)
        _lifecycle(watch.resource_type).tick(watch)
        return
    helper(event, context)
