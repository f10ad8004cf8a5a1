"""WorkspaceImageUpdateMonitor's function: on its schedule, is an update available for the images it watches?

WorkSpaces says so per image (DescribeWorkspaceImages, ``Updates.UpdateAvailable``:
https://docs.aws.amazon.com/workspaces/latest/api/API_UpdateResult.html) and tells nobody. For each image with an
update, this puts an "update available" event on the default bus (or its event_bus) and, when the monitor has a
pipeline, starts it
(StartPipelineExecution: https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_StartPipelineExecution.html)
with a clientRequestToken made of what it found (`request_token`), so that looks finding the same update start it
once for as long as CodePipeline remembers the token.
When nothing has an update it does nothing at all: no event, no pipeline, no change to any stack.

With a generation parameter (an SSM String parameter holding the generation to deploy, which the pipeline reads
when it synthesizes: ``cdk synth -c generation=<its value>``), an update also asks for the next generation: the
monitor writes the deployed generation + 1 there, once, and only then starts the pipeline. A parameter already
ahead of the deployed generation means the next one was asked for and is not deployed yet: the monitor says so
again, and neither writes nor starts anything (a retried delivery of the same look, and every later look until
the deploy, find it so).

It reads the images and the pipeline from its environment only, and nothing from its event: anyone allowed to
invoke it can at worst make it look. It changes no image or bundle, so its role may only describe images, put events of
this library's source, and start that one pipeline.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from . import contract
from .bus import Bus, Event
from .contract import Detail
from .errors import ProviderError
from .workspaces import Image, WorkSpaces

if TYPE_CHECKING:
    from mypy_boto3_codepipeline import CodePipelineClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_workspaces import WorkSpacesClient

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


@dataclass(frozen=True)
class Bump:
    """What an available update does to the generation parameter: the value to write (None: leave it), whether
    to start the pipeline, the generation asked for, and why."""

    write: str | None
    start: bool
    next_generation: int | None
    why: str


def plan_bump(deployed: int, stored: str | None) -> Bump:
    """Ask for the next generation once: write deployed + 1 unless the parameter is ahead already.

    `stored`: the parameter's value, None when it does not exist. A value that is not a whole number is left
    alone (it is the user's), and nothing is started: the pipeline would synthesize from it."""
    following = deployed + 1
    if stored is None:
        return Bump(str(following), True, following, f"the parameter did not exist; asking for generation {following}")
    text = stored.strip()
    if not text.isdigit():
        return Bump(
            None,
            False,
            None,
            f"the generation parameter holds {stored!r}, not a whole number; set it to {following} to deploy the "
            "next generation",
        )
    if int(text) > deployed:
        return Bump(None, False, int(text), f"generation {int(text)} is asked for already and not deployed yet")
    return Bump(str(following), True, following, f"asking for generation {following} (deployed: {deployed})")


def update_event(
    image: Image, monitor_id: str, pipeline: str, execution_id: str, generation: int | None, bump: Bump | None
) -> Event:
    detail: dict[str, Any] = {
        Detail.MONITOR_ID: monitor_id,
        Detail.IMAGE_ID: image.image_id,
        Detail.NAME: image.name,
        Detail.UPDATE_DESCRIPTION: image.update_description,
    }
    if generation is not None:
        detail[Detail.GENERATION] = generation
    if bump is not None:
        detail[Detail.NEXT_GENERATION] = bump.next_generation
        detail[Detail.REASON] = bump.why
    if pipeline:
        detail[Detail.PIPELINE] = pipeline
        detail[Detail.PIPELINE_EXECUTION_ID] = execution_id
    return Event(contract.DetailTypes.IMAGE_UPDATE_AVAILABLE, detail)


def request_token(
    monitor_id: str,
    pipeline: str,
    updates: Sequence[Image],
    generation: int | None = None,
    parameter_version: int | None = None,
) -> str:
    """The clientRequestToken of the pipeline start, made of what the look found and never of the event that invoked
    it (anyone allowed to invoke the function chooses that): which images have which update (``Updates.Description``),
    and with a generation parameter the deployed generation and the version of the parameter the look read. Every
    look that finds the same thing asks with the same token: a retried or repeated delivery, a hand invocation, or
    one with a made-up event. Another update, or a parameter changed since (a rollback puts the deployed generation
    back as a new version), makes another token, so that look starts the pipeline again.

    CodePipeline's API reference says only that the token is "The system-generated unique ID used to identify a
    unique execution request" (1 to 128 of [a-zA-Z0-9-]), neither how long a used token is remembered nor what a
    repeated one answers (https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_StartPipelineExecution.html):
    the same finding starts the pipeline once for as long as CodePipeline remembers its token. The generation
    parameter is the guard that lasts: with one, only the look that writes the next generation starts anything."""
    found = {
        "MonitorId": monitor_id,
        "Pipeline": pipeline,
        "Updates": sorted([image.image_id, image.update_description] for image in updates),
        "Generation": generation,
        "ParameterVersion": parameter_version,
    }
    # A SHA-256 in hex: 64 of [0-9a-f], within the token's documented length and characters.
    return hashlib.sha256(json.dumps(found, sort_keys=True).encode()).hexdigest()


@dataclass
class Monitor:
    """One look at the images, with its clients (boto3 `workspaces`, `events`, `codepipeline`, `ssm`)."""

    workspaces: WorkSpacesClient
    events: EventBridgeClient
    codepipeline: CodePipelineClient
    image_ids: Sequence[str]
    pipeline: str
    monitor_id: str
    ssm: SSMClient | None = None
    # The generation parameter's name, and the watched image's generation as deployed; both or neither.
    generation_parameter: str = ""
    generation: int | None = None
    # The event bus its events go on (contract.ENV_EVENT_BUS); "": the default bus.
    event_bus: str = ""

    def check(self) -> Findings:
        """One look, whatever invoked it. Raises ProviderError when the images can't be described or the pipeline
        can't be started; the events of what was found are put first, so a failure to start the pipeline loses no
        news."""
        findings = look(self.image_ids, WorkSpaces(self.workspaces).describe_images(self.image_ids))
        for image_id in findings.missing:
            log.warning("image %s was not found (DescribeWorkspaceImages); is the monitor's list current?", image_id)
        if not findings.updates:
            log.info("no update available for %s", ", ".join(self.image_ids))
            return findings
        execution_id, problems = "", []
        bump: Bump | None = None
        version: int | None = None
        if self.generation_parameter and self.generation is not None:
            try:
                bump, version = self._ask_for_next_generation(self.generation)
            except ProviderError as error:
                problems.append(str(error))
        if self.pipeline and not problems and (bump is None or bump.start):
            token = request_token(self.monitor_id, self.pipeline, findings.updates, self.generation, version)
            try:
                execution_id = self._start(token)
            except ProviderError as error:
                problems.append(str(error))
        bus = Bus(self.events, self.event_bus)
        for image in findings.updates:
            log.info("an update is available for %s (%s): %s", image.image_id, image.name, image.update_description)
            bus.put(update_event(image, self.monitor_id, self.pipeline, execution_id, self.generation, bump))
        if problems:
            raise ProviderError("; ".join(problems))
        return findings

    def _ask_for_next_generation(self, deployed: int) -> tuple[Bump, int | None]:
        """Read the generation parameter and write the next generation there, once (plan_bump); the bump, and the
        version of the parameter read (None: there was none). Raises ProviderError when it can't be read or
        written."""
        name = self.generation_parameter
        # from_environment always makes one; a Monitor made without it has no generation parameter to read.
        assert self.ssm is not None
        stored: str | None = None
        version: int | None = None
        try:
            parameter = self.ssm.get_parameter(Name=name)["Parameter"]
            stored, version = str(parameter["Value"]), int(parameter["Version"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ParameterNotFound":
                raise self._parameter_error("read", error) from error
        except BotoCoreError as error:
            raise self._parameter_error("read", error) from error
        bump = plan_bump(deployed, stored)
        log.info("generation parameter %s: %s", name, bump.why)
        if bump.write is not None:
            try:
                self.ssm.put_parameter(Name=name, Value=bump.write, Type="String", Overwrite=True)
            except (ClientError, BotoCoreError) as error:
                raise self._parameter_error("written", error) from error
        elif not bump.start and bump.next_generation is None:
            raise ProviderError(bump.why)
        return bump, version

    def _parameter_error(self, done: str, error: Exception) -> ProviderError:
        return ProviderError(
            f"the generation parameter {self.generation_parameter} could not be {done}, so the next generation was "
            f"not asked for and no pipeline was started; check that it exists and the monitor's role may use it "
            f"({error})"
        )

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
    generation = os.environ.get(contract.ENV_MONITORED_GENERATION, "")
    return Monitor(
        workspaces=make("workspaces", config=config),
        events=make("events", config=config),
        codepipeline=make("codepipeline", config=config),
        image_ids=ids,
        pipeline=os.environ.get(contract.ENV_PIPELINE_NAME, ""),
        monitor_id=os.environ.get(contract.ENV_MONITOR_ID, ""),
        ssm=make("ssm", config=config),
        generation_parameter=os.environ.get(contract.ENV_GENERATION_PARAMETER, ""),
        generation=int(generation) if generation.isdigit() else None,
        event_bus=os.environ.get(contract.ENV_EVENT_BUS, ""),
    )


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry (the asset's monitor.py re-exports it). The event is not read: whoever invoked the function,
    with whatever event, only makes it look. Raises ProviderError, so that the invocation counts as failed (and is
    retried) when the look could not be made."""
    findings = from_environment().check()
    return {
        "UpdatesAvailable": [image.image_id for image in findings.updates],
        "Missing": list(findings.missing),
    }
