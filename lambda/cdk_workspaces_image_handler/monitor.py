"""WorkspaceImageUpdateMonitor's function: on its schedule, is an update available for the images it watches?

WorkSpaces says so per image (DescribeWorkspaceImages, ``Updates.UpdateAvailable``:
https://docs.aws.amazon.com/workspaces/latest/api/API_UpdateResult.html) and tells nobody. For each image with an
update, this puts an "update available" event on the default bus and, when the monitor has a pipeline, starts it
once (StartPipelineExecution: https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_StartPipelineExecution.html).
When nothing has an update it does nothing at all: no event, no pipeline, no change to any stack.

It reads the images and the pipeline from its environment only, never from its event: anyone allowed to invoke
it can at worst make it look. It changes no image or bundle, so its role may only describe images, put events of
this library's source, and start that one pipeline.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from . import contract
from .bus import Bus, Event
from .contract import Detail
from .errors import ProviderError
from .workspaces import Image, WorkSpaces

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)


@dataclass(frozen=True)
class Findings:
    """What one look found: the images with an update available, and the ids that were not found."""

    updates: tuple[Image, ...] = ()
    missing: tuple[str, ...] = ()


def look(image_ids: Sequence[str], found: Mapping[str, Image]) -> Findings:
    """Which watched images have an update available. An image still PENDING or in ERROR is no base for an update
    (CreateUpdatedWorkspaceImage wants an AVAILABLE source), so only AVAILABLE ones count."""
    seen = [found[i] for i in image_ids if i in found]
    updates = [image for image in seen if image.state == "AVAILABLE" and image.update_available]
    return Findings(tuple(updates), tuple(i for i in image_ids if i not in found))


def update_event(image: Image, monitor_id: str, pipeline: str, execution_id: str) -> Event:
    detail: dict[str, str] = {
        Detail.MONITOR_ID: monitor_id,
        Detail.IMAGE_ID: image.image_id,
        Detail.NAME: image.name,
        Detail.UPDATE_DESCRIPTION: image.update_description,
    }
    if pipeline:
        detail[Detail.PIPELINE] = pipeline
        detail[Detail.PIPELINE_EXECUTION_ID] = execution_id
    return Event(contract.DetailTypes.IMAGE_UPDATE_AVAILABLE, detail)


def request_token(event: Mapping[str, Any], monitor_id: str) -> str:
    """The clientRequestToken of the pipeline start: the same for every delivery of one scheduled event (Lambda
    retries an asynchronous invocation that failed, and EventBridge delivers at least once), so one look starts
    the pipeline at most once. An event without an id (a test, a hand invocation) gets its own token."""
    seed = str(event.get("id") or os.urandom(16).hex())
    return hashlib.sha256(f"{monitor_id}|{seed}".encode()).hexdigest()[:64]


@dataclass
class Monitor:
    """One look at the images, with its clients (boto3 `workspaces`, `events`, `codepipeline`)."""

    workspaces: Any
    events: Any
    codepipeline: Any
    image_ids: Sequence[str]
    pipeline: str
    monitor_id: str

    def check(self, event: Mapping[str, Any]) -> Findings:
        """Raises ProviderError when the images can't be described or the pipeline can't be started; the events of
        what was found are put first, so a failure to start the pipeline loses no news."""
        findings = look(self.image_ids, WorkSpaces(self.workspaces).describe_images(self.image_ids))
        for image_id in findings.missing:
            log.warning("image %s was not found (DescribeWorkspaceImages); is the monitor's list current?", image_id)
        if not findings.updates:
            log.info("no update available for %s", ", ".join(self.image_ids))
            return findings
        execution_id, problem = "", ""
        if self.pipeline:
            try:
                execution_id = self._start(request_token(event, self.monitor_id))
            except ProviderError as error:
                problem = str(error)
        bus = Bus(self.events)
        for image in findings.updates:
            log.info("an update is available for %s (%s): %s", image.image_id, image.name, image.update_description)
            bus.put(update_event(image, self.monitor_id, self.pipeline, execution_id))
        if problem:
            raise ProviderError(problem)
        return findings

    def _start(self, token: str) -> str:
        try:
            answer = self.codepipeline.start_pipeline_execution(name=self.pipeline, clientRequestToken=token)
        except (ClientError, BotoCoreError) as error:
            raise ProviderError(
                f"pipeline {self.pipeline} could not be started for the available update; check that it exists and "
                f"that the monitor's role may start it ({error})"
            ) from error
        execution_id = str(answer.get("pipelineExecutionId", ""))
        log.info("started pipeline %s: execution %s", self.pipeline, execution_id)
        return execution_id


def from_environment() -> Monitor:
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 10}, user_agent_extra="cdk-workspaces-image")
    make: Any = boto3.client  # its typed overloads want a literal service name
    ids = [i for i in os.environ[contract.ENV_MONITORED_IMAGES].split(",") if i]
    return Monitor(
        workspaces=make("workspaces", config=config),
        events=make("events", config=config),
        codepipeline=make("codepipeline", config=config),
        image_ids=ids,
        pipeline=os.environ.get(contract.ENV_PIPELINE_NAME, ""),
        monitor_id=os.environ.get(contract.ENV_MONITOR_ID, ""),
    )


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry (the asset's monitor.py re-exports it). Raises ProviderError, so that the invocation
    counts as failed (and is retried) when the look could not be made."""
    findings = from_environment().check(event)
    return {
        "UpdatesAvailable": [image.image_id for image in findings.updates],
        "Missing": list(findings.missing),
    }
