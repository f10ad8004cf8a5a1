"""``WorkspaceImageUpdateMonitor``: notices when AWS publishes updates for images, to start the monthly loop.

WorkSpaces sends no event when an image has updates; DescribeWorkspaceImages says so in ``Updates.UpdateAvailable``
(https://docs.aws.amazon.com/workspaces/latest/api/API_DescribeWorkspaceImages.html). A function of the handler
asset looks on a schedule and, for each image with updates, puts a ``WorkSpaces Image Update Available`` event on the
default bus (or on its ``event_bus``) and, when given a pipeline, starts it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Optional, Union

from aws_cdk import Duration, Fn, Stack
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from cdk_workspaces_image_handler import contract, rules

from . import _function
from ._bus import BusGuard, event_bus_problems
from ._events import event_rule
from ._props import judged, refuse
from .interfaces import IWorkspaceImage, image_id_of

DEFAULT_SCHEDULE_DAYS = 1
_PARAMETER_NAME = re.compile(r"[a-zA-Z0-9_.\-/]{1,1011}")


class WorkspaceImageUpdateMonitor(Construct):
    """Looks on a schedule whether AWS has published updates for images, and says so on the default event bus (or on
    ``event_bus``).

    For each image whose ``Updates.UpdateAvailable`` is true it puts an event (source ``cdk-workspaces-image``,
    DetailType ``WorkSpaces Image Update Available``; detail ``MonitorId``, ``ImageId``, ``UpdateDescription`` and
    ``Pipeline``), and starts ``pipeline`` when one is given. ``MonitorId`` (:attr:`monitor_id`, a deploy-time
    token) is the GUID of the stack's id, ``/``, then the construct path: another app's monitor at the same path
    has another. :meth:`on_update_available` makes a rule for those events. What it finds is logged in its own log
    group, kept a year.

    It has its own function (from the provider's asset), log group and role. The role may write only to its log
    group, call DescribeWorkspaceImages (which takes no resource: "*"), put events of this library's source on the
    default bus (or on ``event_bus``), with a pipeline start that pipeline only, and with ``generation_parameter`` read
    and write that parameter only.

    :param scope: the parent construct.
    :param construct_id: the construct id.
    :param images: the images to look at, at least one and each once: ``UpdatedWorkspaceImage`` constructs,
        images imported with ``UpdatedWorkspaceImage.from_image_id``, or ids (``wsi-`` and 9 to 63 of
        ``[0-9a-z]``; a token is read at deploy time). An ``UpdatedWorkspaceImage`` is followed through its
        replacements: the function is given each month's image id. Make the monitor in the image's stack: an image
        id used by another stack is an export, which CloudFormation would not let the next replacement change.
    :param schedule: when to look. Default: once a day (``Schedule.rate(Duration.days(1))``). AWS publishes
        WorkSpaces updates about monthly; each look is one DescribeWorkspaceImages call per 25 images.
    :param pipeline: a CodePipeline pipeline to start (StartPipelineExecution) when an image has updates, e.g. the
        one that deploys the next ``generation``. Default: none; only the event is put.
    :param generation_parameter: the name of an SSM String parameter this construct creates, holding the generation
        to deploy: the generation of the one image in ``images`` (an ``UpdatedWorkspaceImage`` with ``generation``)
        when deployed. When that image has an update, the monitor writes the next generation there, once, before it
        starts ``pipeline``; a parameter already ahead means the next generation was asked for and is not deployed
        yet, and nothing is written or started. The pipeline reads it when it synthesizes
        (``cdk synth -c generation=$(aws ssm get-parameter --name NAME --query Parameter.Value --output text)``),
        so the deploy that follows an update makes the next image without anyone editing the app. Default: none.
    :param event_bus: the event bus the monitor puts its events on, and :meth:`on_update_available` makes its rule on
        (the schedule stays on the default bus, where schedules run). Default: None, the account's default bus, where
        anyone allowed ``events:PutEvents`` in the account can put an event with the library's source, and a
        pipeline started by a rule on it could be started so. With a bus (of the stack's account and Region), the
        library adds to its policy a statement that denies ``events:PutEvents`` of the source
        ``cdk-workspaces-image`` to every principal but the stack's monitor and provider roles, and the monitor's
        role may put events on that bus only. A bus carries the events of one stack: synth refuses a bus another
        stack of the app names.
    """

    monitor_id: str
    """``MonitorId`` of this monitor's events, a deploy-time token: the GUID of the stack's id, ``/``, then the
    construct path."""
    function: lambda_.Function
    """The function that looks (the provider's asset, handler ``monitor.handler``)."""
    role: iam.Role
    """The function's role."""
    log_group: logs.LogGroup
    """The function's log group, kept a year."""
    schedule_rule: events.Rule
    """The rule that invokes the function on ``schedule``."""
    generation_parameter: Optional[ssm.StringParameter]
    """The SSM parameter of ``generation_parameter``; None without one."""
    event_bus: Optional[events.IEventBus]
    """The ``event_bus`` prop; None, the account's default bus."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        images: Sequence[Union[IWorkspaceImage, str]],
        schedule: Optional[events.Schedule] = None,
        pipeline: Optional[codepipeline.IPipeline] = None,
        generation_parameter: Optional[str] = None,
        event_bus: Optional[events.IEventBus] = None,
    ) -> None:
        super().__init__(scope, construct_id)
        image_ids = self._validate(images, schedule, pipeline, event_bus)
        self.event_bus = event_bus
        generation = self._generation_of(images, generation_parameter)
        # Its events carry it and on_update_available matches it: stable across deployments, one per monitor of an
        # app, and another app's monitor at the same path in the same account and Region (a stack of another name
        # with the same construct id) has another, as the stack id's GUID comes first, as in the watch rule's name.
        # A deploy-time token: CloudFormation resolves it in the environment and the event pattern alike.
        stack_guid = Fn.select(2, Fn.split("/", Stack.of(self).stack_id))
        self.monitor_id: str = Fn.join("/", [stack_guid, self.node.path])

        self.log_group, self.role = _function.logged_role(
            self, description="cdk-workspaces-image: looks for WorkSpaces image updates and announces them"
        )
        # Service Authorization Reference: DescribeWorkspaceImages supports no resource-level permissions
        # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonworkspaces.html).
        self.role.add_to_policy(
            iam.PolicyStatement(sid="Describe", actions=["workspaces:DescribeWorkspaceImages"], resources=["*"])
        )
        self.role.add_to_policy(_function.put_events(self, event_bus.event_bus_arn if event_bus else None))
        environment = {
            # Fn.join of plain strings is the joined string; of tokens, an Fn::Join resolved at deploy time.
            contract.ENV_MONITORED_IMAGES: Fn.join(",", image_ids),
            contract.ENV_MONITOR_ID: self.monitor_id,
        }
        if event_bus is not None:
            environment[contract.ENV_EVENT_BUS] = event_bus.event_bus_name
            BusGuard.of(self, event_bus).admit(self.role)
        if pipeline is not None:
            # StartPipelineExecution takes the pipeline's ARN
            # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodepipeline.html).
            self.role.add_to_policy(
                iam.PolicyStatement(
                    sid="StartPipeline",
                    actions=["codepipeline:StartPipelineExecution"],
                    resources=[pipeline.pipeline_arn],
                )
            )
            environment[contract.ENV_PIPELINE_NAME] = pipeline.pipeline_name
        self.generation_parameter: Optional[ssm.StringParameter] = None
        if generation_parameter is not None and generation is not None:
            # A deploy writes the generation it deployed; the monitor writes the next one when an update is out.
            self.generation_parameter = ssm.StringParameter(
                self,
                "Generation",
                parameter_name=generation_parameter,
                string_value=str(generation),
                description="cdk-workspaces-image: the generation of the golden image to deploy next",
            )
            # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html:
            # GetParameter and PutParameter act on the parameter's ARN.
            self.role.add_to_policy(
                iam.PolicyStatement(
                    sid="GenerationParameter",
                    actions=["ssm:GetParameter", "ssm:PutParameter"],
                    resources=[self.generation_parameter.parameter_arn],
                )
            )
            environment[contract.ENV_GENERATION_PARAMETER] = generation_parameter
            environment[contract.ENV_MONITORED_GENERATION] = str(generation)
        _function.acknowledge_wildcards(
            self.role,
            {
                "*": (
                    "workspaces:DescribeWorkspaceImages supports no resource-level permissions (Service Authorization "
                    "Reference)"
                )
            },
        )

        self.function = _function.function(
            self,
            "Function",
            description="cdk-workspaces-image: looks for updates of WorkSpaces images",
            handler=contract.MONITOR_HANDLER,
            role=self.role,
            log_group=self.log_group,
            environment=environment,
        )
        # LambdaFunction also allows this rule, and only it, to invoke the function.
        self.schedule_rule = events.Rule(
            self,
            "Schedule",
            description="cdk-workspaces-image: when to look for WorkSpaces image updates",
            schedule=schedule or events.Schedule.rate(Duration.days(DEFAULT_SCHEDULE_DAYS)),
            targets=[events_targets.LambdaFunction(self.function)],
        )

    def on_update_available(self, construct_id: str, *, target: Optional[events.IRuleTarget] = None) -> events.Rule:
        """A rule, under this construct and on its ``event_bus`` (default: the default bus), matching this monitor's
        events (DetailType ``WorkSpaces Image Update Available`` and this monitor's ``MonitorId``, which holds the
        stack's GUID: another app's monitor at the same construct path is not heard): one per image found with
        updates, each look.

        :param construct_id: the rule's construct id.
        :param target: where the event goes (an ``aws_events_targets`` target). Default: none; add targets to the
            rule later with ``add_target``.
        """
        return event_rule(
            self,
            construct_id,
            detail_type=contract.DetailTypes.IMAGE_UPDATE_AVAILABLE,
            detail={contract.Detail.MONITOR_ID: [self.monitor_id]},
            target=target,
            description=f"cdk-workspaces-image: {self.node.path} found WorkSpaces image updates",
            event_bus=self.event_bus,
        )

    def _generation_of(self, images: Sequence[object], name: object) -> Optional[int]:
        """The generation the parameter starts from: that of the one image, which must have one."""
        if name is None:
            return None
        problems: list[str] = []
        if not isinstance(name, str) or not _PARAMETER_NAME.fullmatch(name):
            problems.append(
                f"generation_parameter {name!r} must be an SSM parameter name: 1 to 1011 characters of "
                "[a-zA-Z0-9_.-/] (https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html)"
            )
        first = images[0] if len(images) == 1 else None
        generation = getattr(first, "generation", None)
        if not isinstance(generation, int):
            problems.append(
                "generation_parameter needs images to be one UpdatedWorkspaceImage with a generation, whose next "
                f"generation it asks for; images has {len(images)}"
                + ("" if len(images) != 1 else " without a generation")
            )
        refuse(self, problems)
        return generation if isinstance(generation, int) else None

    def _validate(self, images: object, schedule: object, pipeline: object, event_bus: object) -> list[str]:
        """The image ids, once every prop keeps its rules: at least one image, each id by the handler's rule
        (labelled by its place in the list), none twice; a Schedule; a pipeline."""
        if isinstance(images, (str, bytes)) or not isinstance(images, Sequence):
            refuse(self, [rules.type_problem("images", images, "a list of images or image ids")])
        assert isinstance(images, Sequence)
        problems: list[str] = []
        if not images:
            problems.append("images [] is empty; give at least one image to look at")
        ids: list[str] = []
        for index, image in enumerate(images):
            image_id = image_id_of(image)
            label = f"images[{index}]"
            problem = None if judged(image_id) is rules.UNKNOWN else rules.image_id_problem(image_id, label, "ImageId")
            if problem:
                problems.append(problem)
            elif image_id in ids:
                first = ids.index(image_id)
                shown = image.node.path if isinstance(image, IWorkspaceImage) else repr(image_id)
                problems.append(f"{label} (ImageId) {shown} is also images[{first}]; give each image once")
            ids.append(image_id)
        if schedule is not None and not isinstance(schedule, events.Schedule):
            problems.append(rules.type_problem("schedule", schedule, "an aws_events.Schedule"))
        if pipeline is not None and not all(hasattr(pipeline, key) for key in ("pipeline_arn", "pipeline_name")):
            problems.append(rules.type_problem("pipeline", pipeline, "an aws_codepipeline.IPipeline"))
        refuse(self, problems + event_bus_problems(self, event_bus))
        return ids
