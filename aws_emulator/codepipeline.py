"""AWS CodePipeline, as far as starting a pipeline goes: StartPipelineExecution on pipelines a test adds, answered by
moto's CodePipeline (`moto.codepipeline.models.CodePipelineBackend`: its pipelines, tags and executions) behind this
emulator's transport, IAM evaluation and virtual clock. What this module adds in front of moto: the model's validation
and IAM (aws_emulator.service), clientRequestToken idempotency, the variables a pipeline declares, who started each
execution, and execution start times on the virtual clock (moto stamps `utcnow`).

Shapes are botocore's `codepipeline` 2015-07-09 model (AWS JSON 1.1; botocore resolves the model's protocols,
smithy-rpc-v2-cbor and json, to json). Sources: the CodePipeline API reference,
https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_StartPipelineExecution.html, and the Service
Authorization Reference for AWS CodePipeline,
https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodepipeline.html. "undocumented" marks
a choice made here. Pipelines are not defined (CreatePipeline, whose moto checks a role in moto's own IAM, is not
served), run or finished here: an execution is recorded (`executions`), which is all the update monitor's part needs.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from moto.codepipeline.models import CodePipeline
from moto.codepipeline.models import CodePipelineBackend as MotoCodePipeline

from aws_emulator.iam import RequestContext, tag_context
from aws_emulator.moto_backed import answered
from aws_emulator.service import Backend, Clock, Params

# How long a clientRequestToken is remembered after the execution it started, in seconds of the virtual clock. The
# CodePipeline API reference says only that the token is "The system-generated unique ID used to identify a unique
# execution request" (1 to 128 of [a-zA-Z0-9-]), neither how long it is remembered nor what a repeated one answers
# (https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_StartPipelineExecution.html): undocumented.
# The safe assumption is a while, not for ever, so nothing that relies on a token past its retries passes here by
# luck; five minutes is the span CodeBuild documents for its own idempotency token ("valid for 5 minutes",
# https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StartBuild.html), and covers botocore's retries and
# Lambda's two retries of a failed asynchronous invocation. CodePipelineBackend(token_memory=None) remembers for ever.
TOKEN_MEMORY_SECONDS = 300.0


@dataclass(frozen=True)
class Execution:
    """One StartPipelineExecution that started something: which pipeline, when (virtual clock), with what, by whom
    (the access key id the request was signed with; None straight through `handle`)."""

    pipeline: str
    execution_id: str
    at: float
    variables: tuple[tuple[str, str], ...]
    client_request_token: str | None
    caller: str | None


class CodePipelineBackend(Backend):
    """Pipelines by name (`add_pipeline`; moto's `pipelines`), and every execution started, in order
    (`executions`)."""

    service_name = "codepipeline"
    target_prefix = "CodePipeline_20150709"
    iam_prefix = "codepipeline"
    # API_StartPipelineExecution, Errors: ValidationException, "The validation was specified in an invalid format".
    validation_error_code = "ValidationException"

    def __init__(
        self,
        clock: Clock | None = None,
        account_id: str = "123456789012",
        region: str = "eu-west-1",
        *,
        check_responses: bool = True,
        token_memory: float | None = TOKEN_MEMORY_SECONDS,
    ) -> None:
        super().__init__(clock, account_id, region, check_responses)
        # One moto backend of our own, not moto's process-wide `codepipeline_backends`: every LocalCloud starts empty.
        self.moto = MotoCodePipeline(region, account_id)
        self.executions: list[Execution] = []
        # Seconds a clientRequestToken is remembered after its execution started; None: for ever (both undocumented).
        self.token_memory = token_memory

    def arn(self, name: str) -> str:
        """A pipeline's ARN: arn:${Partition}:codepipeline:${Region}:${Account}:${PipelineName} (the Service
        Authorization Reference, resource type pipeline)."""
        return f"arn:aws:codepipeline:{self.region}:{self.account_id}:{name}"

    def add_pipeline(
        self, name: str, *, tags: Mapping[str, str] | None = None, variables: Iterable[str] | None = None
    ) -> str:
        """Make a pipeline exist (what CreatePipeline would do, which is not emulated); its ARN.

        `variables`: the pipeline-level variables its definition declares; an execution may set only those. None,
        the default, takes any name: whether and how a pipeline refuses a variable it does not declare is
        undocumented, and a test that cares declares them.
        """
        definition: dict[str, Any] = {"name": name, "roleArn": "", "stages": []}
        if variables is not None:
            # A pipeline's declaration of its variables (PipelineDeclaration.variables, pipeline type V2).
            definition["variables"] = [{"name": v} for v in variables]
        with self.lock:
            pipeline = CodePipeline(self.account_id, self.region, definition)
            pipeline.tags.update(tags or {})
            self.moto.pipelines[name] = pipeline
            return self.arn(name)

    def executions_of(self, name: str) -> list[Execution]:
        with self.lock:
            return [e for e in self.executions if e.pipeline == name]

    # -- authorization -------------------------------------------------------------
    #
    # Service Authorization Reference for AWS CodePipeline: StartPipelineExecution acts on a pipeline* resource, whose
    # condition key is aws:ResourceTag/${TagKey}.

    def _authorize_start_pipeline_execution(self, params: Params) -> list[RequestContext]:
        pipeline = self.moto.pipelines.get(params["name"])
        keys = tag_context(pipeline.tags if pipeline is not None else None)
        return [RequestContext(self.action("StartPipelineExecution"), self.arn(params["name"]), keys)]

    # -- operations ----------------------------------------------------------------

    def _start_pipeline_execution(self, params: Params) -> Params:
        """API_StartPipelineExecution: "Starts the specified pipeline"; answers pipelineExecutionId. A pipeline the
        account lacks answers PipelineNotFoundException ("The pipeline was specified in an invalid format or cannot
        be found").

        clientRequestToken is "The system-generated unique ID used to identify a unique execution request" (botocore
        fills it in, and keeps it for its retries). What a repeated token answers, and for how long, is undocumented
        for CodePipeline: here a token used for the same pipeline within `token_memory` seconds (TOKEN_MEMORY_SECONDS)
        answers the execution it started and starts nothing, as the Well-Architected Framework describes an
        idempotent AWS API ("uses the token to return a response identical to the response that was returned the
        first time", https://docs.aws.amazon.com/wellarchitected/2023-04-10/framework/rel_prevent_interaction_failure_idempotent.html);
        later it starts a new execution. A repeated token with other variables is answered the same (undocumented).

        A variable the pipeline does not declare is refused with ValidationException (its code and words are
        undocumented). ConflictException (the pipeline busy) and ConcurrentPipelineExecutionsLimitExceededException
        are not modelled; sourceRevisions are taken and not recorded.
        """
        name = params["name"]
        pipeline = self.moto.pipelines.get(name)
        token = params.get("clientRequestToken")
        if pipeline is not None and token is not None:
            earlier = next((e for e in self.executions_of(name) if self._remembers(e, token)), None)
            if earlier is not None:
                return {"pipelineExecutionId": earlier.execution_id}
        variables = tuple((v["name"], v["value"]) for v in params.get("variables", []))
        declared = pipeline.pipeline.get("variables") if pipeline is not None else None
        unknown = sorted({n for n, _ in variables} - {v["name"] for v in declared}) if declared is not None else []
        if unknown:
            raise self.invalid(f"Pipeline {name} does not declare the variables {', '.join(unknown)}.")
        # moto answers PipelineNotFoundException for a pipeline the account lacks.
        execution_id = answered(self.moto.start_pipeline_execution, name, params.get("variables"))
        started = datetime.datetime.fromtimestamp(self.now(), datetime.UTC)
        moto_execution = self.moto.pipelines[name].executions[execution_id]
        moto_execution.start_time = moto_execution.last_update_time = started
        self.executions.append(Execution(name, execution_id, self.now(), variables, token, self.caller))
        return {"pipelineExecutionId": execution_id}

    def _remembers(self, execution: Execution, token: str) -> bool:
        if execution.client_request_token != token:
            return False
        return self.token_memory is None or self.now() - execution.at < self.token_memory
