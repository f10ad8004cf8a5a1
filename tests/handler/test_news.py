"""What the provider and the update monitor put on the default bus, through the real handler.

WorkSpaces calls are checked by botocore's Stubber; the events go to the emulator's EventBridge, which
validates PutEvents against botocore's model (World.news() reads them).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from support import STACK_ID
from support.handler import NEW, SOURCE, World, event, handle_url, image, props

from aws_emulator import EventBridgeBackend, VirtualClock, attach
from cdk_workspaces_image_handler import contract, monitor, rules
from cdk_workspaces_image_handler.contract import DetailTypes
from cdk_workspaces_image_handler.errors import ProviderError
from cdk_workspaces_image_handler.monitor import Monitor
from cfn_driver.cloud import LocalCloud

HANDLE_OLD = handle_url("old-handle")
GENERATION = "/golden/generation"


def started(world: World, p: dict[str, Any]) -> None:
    """A Create whose image is PENDING: the wait goes to the watch, and nothing is news yet."""
    world.fresh_create(p)
    world.watch_started()
    world.run(event("Create", p))
    world.response()
    assert world.news() == []


def about(**extra: Any) -> dict[str, Any]:
    """The detail every event of the test image carries, and more."""
    base = {"StackId": STACK_ID, "LogicalId": "GoldenResource", "ImageId": NEW, "SourceImageId": SOURCE}
    return {**base, "Name": "golden-2026-11", **extra}


def test_an_image_that_becomes_available_is_announced_once(world: World) -> None:
    started(world, props())
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.watch_stopped()
    world.tick()
    assert world.signal()["Status"] == "SUCCESS"
    assert world.news() == [(DetailTypes.IMAGE_AVAILABLE, about(State="AVAILABLE"))]


def test_an_image_in_error_is_announced_with_the_error_details(world: World) -> None:
    started(world, props())
    details = [{"ErrorCode": "InsufficientDiskSpace", "ErrorMessage": "C: is full"}]
    failed = image(NEW, state="ERROR", ErrorCode="UpdateFailed", ErrorMessage="Update failed", ErrorDetails=details)
    world.describe(NEW, failed)
    world.watch_stopped()
    world.tick()
    signal = world.signal()
    assert world.news() == [
        (
            DetailTypes.IMAGE_FAILED,
            about(
                Reason=signal["Reason"],
                Failure="ERROR",
                State="ERROR",
                ErrorCode="UpdateFailed",
                ErrorMessage="Update failed",
                ErrorDetails=details,
            ),
        )
    ]


def test_a_timed_out_image_is_announced_as_such(world: World) -> None:
    p = props(TimeoutSeconds=str(15 * 60))
    started(world, p)
    world.clock.advance(rules.handler_wait_seconds(15 * 60))
    world.describe(NEW, image(NEW, state="PENDING"))
    world.watch_stopped()
    world.tick()
    reason = world.signal()["Reason"]
    assert reason.startswith(f"timed out: image {NEW} is still PENDING")
    assert world.news() == [(DetailTypes.IMAGE_FAILED, about(Reason=reason, Failure="TIMEOUT", State="PENDING"))]


def test_a_refused_put_events_fails_nothing(world: World, caplog: pytest.LogCaptureFixture) -> None:
    started(world, props())
    world.bus.inject("PutEvents", "AccessDeniedException", message="not allowed")
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.watch_stopped()
    with caplog.at_level(logging.WARNING):
        world.tick()
    assert world.signal()["Status"] == "SUCCESS"
    assert world.news() == []
    assert "could not be put on the default bus" in caplog.text


def test_waiting_again_for_the_same_image_is_no_news(world: World) -> None:
    """A new timeout re-arms the wait for the image the resource already has (a new handle): nothing happened."""
    old, new = props(WaitHandle=HANDLE_OLD), props(TimeoutSeconds="14400")
    world.created(old)
    before = world.news()
    world.watch_stopped()
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.run(event("Update", new, physical_id=NEW, old=old))
    assert world.response()["Status"] == "SUCCESS"
    assert world.signal()["Status"] == "SUCCESS"
    assert world.news() == before


# ---------------------------------------------------------------- the update monitor


class Monitored:
    """The monitor's clients: WorkSpaces and CodePipeline stubbed (every call expected), events to the emulator."""

    def __init__(self, ids: list[str], pipeline: str = "", generation: int | None = None) -> None:
        self.workspaces = boto3.client("workspaces")
        self.codepipeline = boto3.client("codepipeline")
        self.ssm_client = boto3.client("ssm")
        self.ws = Stubber(self.workspaces)
        self.cp = Stubber(self.codepipeline)
        self.ssm = Stubber(self.ssm_client)
        for stubber in (self.ws, self.cp, self.ssm):
            stubber.activate()
        events = boto3.client("events")
        self.bus = EventBridgeBackend(VirtualClock(), "111122223333", "eu-west-1")
        attach(events, self.bus)
        self.monitor = Monitor(
            self.workspaces,
            events,
            self.codepipeline,
            ids,
            pipeline,
            "Golden/Monitor",
            ssm=self.ssm_client,
            generation_parameter=GENERATION if generation is not None else "",
            generation=generation,
        )

    def stored(self, value: str) -> None:
        answer = {"Parameter": {"Name": GENERATION, "Type": "String", "Value": value, "Version": 1}}
        self.ssm.add_response("get_parameter", answer, {"Name": GENERATION})

    def written(self, value: str) -> None:
        expected = {"Name": GENERATION, "Value": value, "Type": "String", "Overwrite": True}
        self.ssm.add_response("put_parameter", {"Version": 2, "Tier": "Standard"}, expected)

    def news(self) -> list[tuple[str, dict[str, Any]]]:
        return [
            (e["DetailType"], json.loads(e["Detail"]))
            for c in self.bus.calls
            if c.operation == "PutEvents" and c.error is None
            for e in c.params["Entries"]
        ]

    def done(self) -> None:
        for stubber in (self.ws, self.cp, self.ssm):
            stubber.assert_no_pending_responses()


def test_the_monitor_with_no_update_available_puts_no_event_and_starts_nothing() -> None:
    m = Monitored([NEW, "wsi-updated0002"], pipeline="golden-images")
    answer = {"Images": [image(NEW), image("wsi-updated0002", name="other")]}
    m.ws.add_response("describe_workspace_images", answer, {"ImageIds": [NEW, "wsi-updated0002"]})
    findings = m.monitor.check()
    m.done()  # no StartPipelineExecution was expected, so one would have failed the Stubber
    assert findings.updates == ()
    assert m.bus.calls == []


def test_an_update_starts_the_pipeline_once_and_is_announced_with_its_execution() -> None:
    m = Monitored([NEW], pipeline="golden-images")
    m.ws.add_response("describe_workspace_images", {"Images": [image(NEW, update=True)]}, {"ImageIds": [NEW]})
    start = {"name": "golden-images", "clientRequestToken": ANY}
    m.cp.add_response("start_pipeline_execution", {"pipelineExecutionId": "0d4ae0a1-exec"}, start)
    m.monitor.check()
    m.done()
    assert m.news() == [
        (
            DetailTypes.IMAGE_UPDATE_AVAILABLE,
            {
                "MonitorId": "Golden/Monitor",
                "ImageId": NEW,
                "Name": "golden-2026-11",
                "UpdateDescription": "WorkSpaces agent and drivers",
                "Pipeline": "golden-images",
                "PipelineExecutionId": "0d4ae0a1-exec",
            },
        )
    ]


def test_a_pipeline_that_cannot_start_still_loses_no_news_and_fails_the_look() -> None:
    m = Monitored([NEW], pipeline="golden-images")
    m.ws.add_response("describe_workspace_images", {"Images": [image(NEW, update=True)]}, {"ImageIds": [NEW]})
    m.cp.add_client_error("start_pipeline_execution", "PipelineNotFoundException", "no such pipeline")
    with pytest.raises(ProviderError, match="pipeline golden-images could not be started for the available update"):
        m.monitor.check()
    [(kind, detail)] = m.news()
    assert (kind, detail["ImageId"], detail["PipelineExecutionId"]) == (DetailTypes.IMAGE_UPDATE_AVAILABLE, NEW, "")


class Hosted:
    """The monitor's Lambda entry (`monitor.handler`) configured as its construct configures it, every client reaching
    the emulator through its endpoint: what anyone allowed to invoke the function can make it do."""

    PIPELINE = "golden-images"
    MONITOR_ID = "8e6f0a10-0000-4000-8000-000000000000/Golden/Monitor"

    def __init__(self, monkeypatch: pytest.MonkeyPatch, generation: int | None = None) -> None:
        self.cloud = LocalCloud(enforce_iam=False)
        self.image_id = self.cloud.workspaces.add_image("golden-3", update_description="WorkSpaces agent 2.1")
        self.cloud.codepipeline.add_pipeline(self.PIPELINE)
        environment = {
            **self.cloud.lambda_env(),
            contract.ENV_MONITORED_IMAGES: self.image_id,
            contract.ENV_PIPELINE_NAME: self.PIPELINE,
            contract.ENV_MONITOR_ID: self.MONITOR_ID,
        }
        if generation is not None:
            self.cloud.ssm.put(GENERATION, str(generation))
            environment[contract.ENV_GENERATION_PARAMETER] = GENERATION
            environment[contract.ENV_MONITORED_GENERATION] = str(generation)
        for key, value in environment.items():
            monkeypatch.setenv(key, value)

    def invoke(self, event_id: str) -> dict[str, Any]:
        return monitor.handler({"id": event_id, "detail-type": "Scheduled Event", "detail": {}}, None)

    def news(self) -> list[dict[str, Any]]:
        return [
            json.loads(e["Detail"])
            for c in self.cloud.events.calls
            if c.operation == "PutEvents" and c.error is None
            for e in c.params["Entries"]
        ]


@pytest.fixture
def hosted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hosted]:
    made = Hosted(monkeypatch)
    yield made
    made.cloud.close()


def test_invocations_with_new_event_ids_start_the_pipeline_once_for_one_update(hosted: Hosted) -> None:
    """Each invocation may carry an event of its own making, with a new id: the start's clientRequestToken comes from
    what the look found, so however many find the same update, CodePipeline is asked once for it."""
    for n in range(5):
        assert hosted.invoke(f"forged-{n}")["UpdatesAvailable"] == [hosted.image_id]
    [execution] = hosted.cloud.codepipeline.executions
    news = hosted.news()
    assert len(news) == 5, "every look still says what it found"
    assert {detail["PipelineExecutionId"] for detail in news} == {execution.execution_id}


def test_a_new_update_of_the_same_image_starts_the_pipeline_again(hosted: Hosted) -> None:
    hosted.invoke("look-1")
    hosted.cloud.workspaces.set_update_available(hosted.image_id, True, "WorkSpaces agent 2.2")
    hosted.invoke("look-1")  # the same event id: only what was found tells the two apart
    first, second = hosted.cloud.codepipeline.executions
    assert first.client_request_token != second.client_request_token


def test_a_generation_asked_for_again_after_a_rollback_starts_the_pipeline_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failed deploy rolls the generation parameter back (a new version of it): the next look asks again and starts
    the pipeline again, while every look that finds the next generation asked for starts nothing."""
    hosted = Hosted(monkeypatch, generation=3)
    try:
        hosted.invoke("look-1")
        hosted.invoke("forged-1")  # the parameter is ahead: nothing is started
        assert hosted.cloud.ssm.value(GENERATION) == "4"
        hosted.cloud.ssm.put(GENERATION, "3")  # the rollback
        hosted.invoke("look-2")
        assert hosted.cloud.ssm.value(GENERATION) == "4"
        assert len(hosted.cloud.codepipeline.executions) == 2
        assert [detail["PipelineExecutionId"] != "" for detail in hosted.news()] == [True, False, True]
    finally:
        hosted.cloud.close()


# ---------------------------------------------------------------- after the wait


def replaced(world: World) -> None:
    """An Update that replaces the image (a new source) with keep_previous set; the new image is PENDING."""
    old = props(WaitHandle=HANDLE_OLD, KeepPrevious="1")
    new = props(SourceImageId="wsi-source0002", KeepPrevious="1")
    world.created(old)
    world.watch_stopped()
    world.fresh_create(new, new_id="wsi-updated0002", request_type="Update")
    world.watch_started()
    world.run(event("Update", new, physical_id=NEW, old=old))
    assert world.response()["PhysicalResourceId"] == "wsi-updated0002"


def test_retention_that_cannot_describe_the_recorded_images_keeps_every_image_and_says_why(world: World) -> None:
    replaced(world)
    world.describe("wsi-updated0002", image("wsi-updated0002", state="AVAILABLE"))
    world.ws.add_client_error(
        "describe_workspace_images",
        "AccessDeniedException",
        "not allowed",
        expected_params={"ImageIds": [NEW, "wsi-updated0002"]},  # what the record holds, by id: no listing
    )
    world.watch_stopped()
    world.tick()
    assert world.signal()["Status"] == "SUCCESS"
    (_, available), (kind, retention) = world.news()[-2:]
    assert (available["ImageId"], kind) == ("wsi-updated0002", DetailTypes.IMAGE_RETENTION)
    assert (retention["Deleted"], retention["Kept"], retention["KeepPrevious"]) == ([], [], 1)
    assert retention["Reason"].startswith("every image was kept: the provider's role may not call")


def test_a_failure_after_the_wait_never_repeats_the_signal(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever follows the end of a wait (news, retention) may fail: the wait condition was told, and the wait
    ends all the same instead of telling it again at the next tick."""
    from cdk_workspaces_image_handler.image import ImageLifecycle

    def broken(*_: Any) -> None:
        raise RuntimeError("the bus's client blew up")

    monkeypatch.setattr(ImageLifecycle, "ended", broken)
    started(world, props())
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.watch_stopped()
    world.tick()
    assert world.signal()["Status"] == "SUCCESS"
    assert world.waits() == []


def test_an_update_asks_for_the_next_generation_once_then_starts_the_pipeline() -> None:
    m = Monitored([NEW], pipeline="golden-images", generation=3)
    m.ws.add_response("describe_workspace_images", {"Images": [image(NEW, update=True)]}, {"ImageIds": [NEW]})
    m.stored("3")
    m.written("4")
    start = {"name": "golden-images", "clientRequestToken": ANY}
    m.cp.add_response("start_pipeline_execution", {"pipelineExecutionId": "exec-4"}, start)
    m.monitor.check()
    # The same look delivered again (or the next day's): generation 4 is asked for already; nothing more is done.
    m.ws.add_response("describe_workspace_images", {"Images": [image(NEW, update=True)]}, {"ImageIds": [NEW]})
    m.stored("4")
    m.monitor.check()
    m.done()
    first, again = (detail for _, detail in m.news())
    assert (first["Generation"], first["NextGeneration"], first["PipelineExecutionId"]) == (3, 4, "exec-4")
    assert (again["NextGeneration"], again["PipelineExecutionId"]) == (4, "")
    assert again["Reason"] == "generation 4 is asked for already and not deployed yet"


def test_a_generation_parameter_that_cannot_be_written_starts_nothing_and_fails_the_look() -> None:
    m = Monitored([NEW], pipeline="golden-images", generation=3)
    m.ws.add_response("describe_workspace_images", {"Images": [image(NEW, update=True)]}, {"ImageIds": [NEW]})
    m.stored("3")
    m.ssm.add_client_error("put_parameter", "AccessDeniedException", "not allowed")
    with pytest.raises(ProviderError, match="the generation parameter /golden/generation could not be written"):
        m.monitor.check()
    m.done()  # no StartPipelineExecution was expected
    [(_, detail)] = m.news()
    assert detail["PipelineExecutionId"] == ""
