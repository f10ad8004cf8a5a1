"""The local CodePipeline: StartPipelineExecution through an unmodified boto3, in-process and over the endpoint
LocalCloud gives a hosted Lambda. Source: https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_StartPipelineExecution.html."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from support.emulator import attached, code_of

from aws_emulator import CodePipelineBackend, VirtualClock
from aws_emulator.codepipeline import TOKEN_MEMORY_SECONDS
from cfn_driver.cloud import ACCOUNT, REGION, LocalCloud

EXECUTION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def pipelines(clock: VirtualClock) -> CodePipelineBackend:
    return CodePipelineBackend(clock)


@pytest.fixture
def client(pipelines: CodePipelineBackend) -> Any:
    return attached("codepipeline", pipelines)


def test_an_execution_starts_on_a_pipeline_that_exists_and_is_recorded_in_order(
    client: Any, pipelines: CodePipelineBackend, clock: VirtualClock
) -> None:
    assert code_of(client.start_pipeline_execution, name="golden-image") == "PipelineNotFoundException"
    assert pipelines.add_pipeline("golden-image") == "arn:aws:codepipeline:eu-west-1:123456789012:golden-image"
    first = client.start_pipeline_execution(name="golden-image")["pipelineExecutionId"]
    clock.advance(60)
    second = client.start_pipeline_execution(name="golden-image", variables=[{"name": "IMAGE", "value": "wsi-1"}])[
        "pipelineExecutionId"
    ]
    assert EXECUTION_ID.fullmatch(first)
    assert first != second
    assert [(e.execution_id, e.at) for e in pipelines.executions] == [(first, clock.now() - 60), (second, clock.now())]
    assert pipelines.executions[1].variables == (("IMAGE", "wsi-1"),)
    assert pipelines.executions[0].client_request_token, "botocore fills the idempotency token in"
    assert pipelines.executions_of("other") == []
    started = pipelines.moto.get_pipeline_execution("golden-image", first).start_time
    assert started == datetime.datetime.fromtimestamp(clock.now() - 60, datetime.UTC), "moto's record, on our clock"


def test_a_repeated_client_request_token_starts_nothing_new(client: Any, pipelines: CodePipelineBackend) -> None:
    pipelines.add_pipeline("p")
    once = client.start_pipeline_execution(name="p", clientRequestToken="token-1")["pipelineExecutionId"]
    again = client.start_pipeline_execution(name="p", clientRequestToken="token-1")["pipelineExecutionId"]
    assert once == again
    assert len(pipelines.executions) == 1


def test_a_token_is_remembered_only_for_a_while_unless_told_otherwise(
    client: Any, pipelines: CodePipelineBackend, clock: VirtualClock
) -> None:
    """How long CodePipeline remembers a token is undocumented: the safe assumption (a while, not for ever) is the
    default, so that nothing relying on a token past its retries passes here by luck."""
    pipelines.add_pipeline("p")
    once = client.start_pipeline_execution(name="p", clientRequestToken="token-1")["pipelineExecutionId"]
    clock.advance(TOKEN_MEMORY_SECONDS - 1)
    assert client.start_pipeline_execution(name="p", clientRequestToken="token-1")["pipelineExecutionId"] == once
    clock.advance(1)
    later = client.start_pipeline_execution(name="p", clientRequestToken="token-1")["pipelineExecutionId"]
    assert later != once
    assert [e.execution_id for e in pipelines.executions] == [once, later]

    remembering = CodePipelineBackend(clock, token_memory=None)
    remembering.add_pipeline("p")
    first = remembering.handle("StartPipelineExecution", {"name": "p", "clientRequestToken": "token-1"})
    clock.advance(365 * 86400)
    assert remembering.handle("StartPipelineExecution", {"name": "p", "clientRequestToken": "token-1"}) == first
    assert len(remembering.executions) == 1


def test_requests_are_validated_and_declared_variables_enforced(client: Any, pipelines: CodePipelineBackend) -> None:
    pipelines.add_pipeline("declared", variables=["IMAGE"])
    assert code_of(client.start_pipeline_execution, name="bad name") == "ValidationException"
    assert code_of(client.start_pipeline_execution, name="p", clientRequestToken="not_a_token") == "ValidationException"
    undeclared = [{"name": "OTHER", "value": "x"}]
    assert code_of(client.start_pipeline_execution, name="declared", variables=undeclared) == "ValidationException"
    client.start_pipeline_execution(name="declared", variables=[{"name": "IMAGE", "value": "wsi-1"}])
    assert len(pipelines.executions) == 1


def test_iam_asks_for_the_pipeline_arn_with_its_tags(pipelines: CodePipelineBackend) -> None:
    pipelines.add_pipeline("tagged", tags={"team": "euc"})
    (context,) = pipelines.request_contexts("StartPipelineExecution", {"name": "tagged"})
    assert (context.action, context.resource, dict(context.keys)) == (
        "codepipeline:StartPipelineExecution",
        "arn:aws:codepipeline:eu-west-1:123456789012:tagged",
        {"aws:ResourceTag/team": "euc"},
    )
    (missing,) = pipelines.request_contexts("StartPipelineExecution", {"name": "missing"})
    assert missing.resource.endswith(":missing")
    assert dict(missing.keys) == {}


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    made = LocalCloud()
    yield made
    made.close()


def test_a_hosted_lambda_reaches_it_through_its_endpoint_and_its_role(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = cloud.lambda_env()
    assert env["AWS_ENDPOINT_URL_CODEPIPELINE"] == cloud.server.url
    pipeline = cloud.codepipeline.add_pipeline("golden-image")
    role = f"arn:aws:iam::{ACCOUNT}:role/Monitor"
    policy = {"Statement": [{"Effect": "Allow", "Action": "codepipeline:StartPipelineExecution", "Resource": pipeline}]}
    credentials = cloud.assume_role(role, "monitor-fn", lambda: [policy])
    for key, value in {**env, **credentials}.items():
        monkeypatch.setenv(key, value)
    client = boto3.Session().client("codepipeline", region_name=REGION)  # a fresh session reads the variables
    client.start_pipeline_execution(name="golden-image")
    (execution,) = cloud.codepipeline.executions
    assert execution.caller == credentials["AWS_ACCESS_KEY_ID"]
    cloud.codepipeline.add_pipeline("other")
    denied = code_of(client.start_pipeline_execution, name="other")
    assert denied == "AccessDeniedException"
    assert cloud.access.denials[-1].message.startswith(f"User: arn:aws:sts::{ACCOUNT}:assumed-role/Monitor/monitor-fn")


def test_each_backend_has_its_own_pipelines(clock: VirtualClock) -> None:
    """moto's pipelines live in the backend's own moto store, not moto's process-wide one."""
    one, other = CodePipelineBackend(clock), CodePipelineBackend(clock)
    one.add_pipeline("golden-image")
    assert code_of(attached("codepipeline", other).start_pipeline_execution, name="golden-image") == (
        "PipelineNotFoundException"
    )
