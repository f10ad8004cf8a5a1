"""The apps in examples/: each synthesizes, in-process through its build function and through the CDK CLI
from its own folder as a user runs it, and its templates show what its README says.

The examples are not a package: each app.py is loaded by path, as tests/support loads the top-level app.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import cx_api
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from support import ROOT
from support.construct import ACCOUNT, NO_BUNDLING, REGION, actions, only, render, resources, statement_with, statements
from support.distribution import run_at_once

from cdk_workspaces_image_handler import contract

EXAMPLES = ROOT / "examples"
SOURCE = {"source_image_id": "wsi-0123456789"}


def load(name: str) -> ModuleType:
    """examples/<name>/app.py by path, under a module name of its own (every example's file is app.py)."""
    spec = importlib.util.spec_from_file_location(f"examples_{name}_app", EXAMPLES / name / "app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cdk_json_context(name: str) -> dict[str, Any]:
    """The context in the example's cdk.json, which `cdk synth` in its folder gives the app."""
    context: dict[str, Any] = json.loads((EXAMPLES / name / "cdk.json").read_text()).get("context", {})
    return context


def report(assembly: cx_api.CloudAssembly) -> Any:
    return json.loads((Path(assembly.directory) / "validation-report.json").read_text())


def suppressed_only(found: Any) -> set[str]:
    """The rules of the findings a report's plugins acknowledged; none may be a violation."""
    assert [v for plugin in found["pluginReports"] for v in plugin["violations"]] == []
    return {
        str(s["ruleName"]).split("[")[0].split("::")[-1]
        for plugin in found["pluginReports"]
        for s in plugin.get("suppressedViolations", [])
    }


def image_id_of(template: Template) -> dict[str, Any]:
    """What `image.image_id` renders as in its own stack: the attribute, and a reference to the wait condition."""
    image, _ = only(template, "Custom::UpdatedWorkspaceImage")
    condition, _ = only(template, "AWS::CloudFormation::WaitCondition")
    return {"Fn::Select": [0, [{"Fn::GetAtt": [image, "ImageId"]}, {"Ref": condition}]]}


def test_every_example_has_an_app_a_cdk_json_running_it_and_a_readme() -> None:
    # snippets/ holds the docs' code, each file an app of its own (test_snippets.py).
    names = sorted(
        p.name for p in EXAMPLES.iterdir() if p.is_dir() and not p.name.startswith((".", "__")) and p.name != "snippets"
    )
    assert names == ["captured", "cross_account", "cross_stack", "minimal", "pipeline", "windows11_image_builder"]
    for name in names:
        folder = EXAMPLES / name
        assert json.loads((folder / "cdk.json").read_text())["app"] == "python3 app.py"
        assert (folder / "README.md").read_text().startswith("# ")
        assert callable(load(name).build_app)


# --- minimal ---------------------------------------------------------------------------------------------------------


def test_minimal_is_one_image_and_an_output_of_its_id(tmp_path: Path) -> None:
    app = cdk.App(context={**SOURCE, **NO_BUNDLING}, outdir=str(tmp_path))
    stack: cdk.Stack = load("minimal").build_app(app)
    assembly = app.synth()  # cdk-nag's AwsSolutions findings would raise here
    assert report(assembly)["pluginReports"] == []

    template = Template.from_json(assembly.get_stack_by_name(stack.stack_name).template)
    _, image = only(template, "Custom::UpdatedWorkspaceImage")
    assert image["Properties"]["SourceImageId"] == "wsi-0123456789"
    custom = [r["Type"] for r in template.to_json()["Resources"].values() if r["Type"].startswith("Custom::")]
    assert custom == ["Custom::UpdatedWorkspaceImage"]
    assert template.to_json()["Outputs"] == {"ImageId": {"Value": image_id_of(template)}}


def test_minimal_refuses_to_synthesize_without_a_source_image() -> None:
    with pytest.raises(ValueError, match="source_image_id"):
        load("minimal").build_app(cdk.App(context=NO_BUNDLING))


# --- cross_stack: the image id handed over in an SSM parameter ------------------------------------------------------


@pytest.fixture(scope="module")
def cross_stack(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, cx_api.CloudAssembly]:
    module = load("cross_stack")
    app = cdk.App(context={**SOURCE, **NO_BUNDLING}, outdir=str(tmp_path_factory.mktemp("cross_stack")))
    module.build_app(app)
    return module, app.synth()


def test_cross_stack_producer_writes_the_image_id_to_the_parameter_and_exports_nothing(
    cross_stack: tuple[ModuleType, cx_api.CloudAssembly],
) -> None:
    module, assembly = cross_stack
    assert report(assembly)["pluginReports"] == []
    producer = assembly.get_stack_by_name("GoldenImage")
    template = Template.from_json(producer.template)
    _, parameter = only(template, "AWS::SSM::Parameter")
    assert parameter["Properties"]["Name"] == module.IMAGE_ID_PARAMETER
    # Written from image.image_id, which waits for the wait condition: the parameter changes once AVAILABLE.
    assert parameter["Properties"]["Value"] == image_id_of(template)
    # No output is exported, and nothing imports one (a word search would find the table policy's
    # dynamodb:ExportTableToPointInTime).
    assert [name for name, output in producer.template.get("Outputs", {}).items() if "Export" in output] == []
    assert "Fn::ImportValue" not in json.dumps(producer.template)
    # The library warns when CDK exports an image id; there is nothing to warn about.
    assert [m for m in producer.messages if m.level == cx_api.SynthesisMessageLevel.WARNING] == []


def test_cross_stack_consumer_reads_the_parameter_at_deploy_time_and_imports_nothing(
    cross_stack: tuple[ModuleType, cx_api.CloudAssembly],
) -> None:
    module, assembly = cross_stack
    consumer = assembly.get_stack_by_name("GoldenBundle")
    assert "Fn::ImportValue" not in json.dumps(consumer.template)
    ssm_parameters = {
        name: parameter
        for name, parameter in consumer.template["Parameters"].items()
        if parameter["Default"] == module.IMAGE_ID_PARAMETER
    }
    assert [p["Type"] for p in ssm_parameters.values()] == ["AWS::SSM::Parameter::Value<String>"]
    # No description, so no "[cdk:skip]" in it: the CDK CLI deploys the stack even when its template is unchanged.
    assert ["Description" in p for p in ssm_parameters.values()] == [False]
    template = Template.from_json(consumer.template)
    _, bundle = only(template, "Custom::WorkspaceBundle")
    assert bundle["Properties"]["ImageId"] == {"Ref": next(iter(ssm_parameters))}
    assert resources(template, "Custom::UpdatedWorkspaceImage") == {}
    # Deployment order only: `cdk deploy --all` makes the image first.
    stacks = [d.id for d in consumer.dependencies if isinstance(d, cx_api.CloudFormationStackArtifact)]
    assert stacks == [assembly.get_stack_by_name("GoldenImage").id]


# --- pipeline: CDK Pipelines ------------------------------------------------------------------------------------------


def pipeline_app(outdir: Path, **context: str) -> tuple[ModuleType, cdk.App, cdk.Stack]:
    module = load("pipeline")
    app = cdk.App(context={**cdk_json_context("pipeline"), **NO_BUNDLING, **context}, outdir=str(outdir))
    return module, app, module.build_app(app)


def stage_stack(pipeline_stack: Any) -> cdk.Stack:
    """The stack the pipeline's stage deploys (the image and the bundle)."""
    stack: cdk.Stack = pipeline_stack.stage.stack
    return stack


def pipeline_stages(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    (pipeline,) = (r for r in template["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline")
    return {stage["Name"]: stage["Actions"] for stage in pipeline["Properties"]["Stages"]}


def test_pipeline_stage_deploys_the_image_and_bundle_stack_with_cloudformation_actions(tmp_path: Path) -> None:
    module, app, stack = pipeline_app(tmp_path)
    assembly = app.synth()
    deployed = stage_stack(stack)
    stages = pipeline_stages(assembly.get_stack_by_name(stack.stack_name).template)
    assert list(stages) == ["Source", "Build", "UpdatePipeline", "Assets", "Desktops"]
    # CloudFormation executes the change set and the action waits for it: no CodeBuild project (nor its
    # time limits) is involved in the wait for the image.
    assert [
        (a["ActionTypeId"]["Provider"], a["Configuration"]["ActionMode"], a["Configuration"]["StackName"])
        for a in stages["Desktops"]
    ] == [
        ("CloudFormation", "CHANGE_SET_REPLACE", deployed.stack_name),
        ("CloudFormation", "CHANGE_SET_EXECUTE", deployed.stack_name),
    ]

    template = Template.from_stack(deployed)
    _, image = only(template, "Custom::UpdatedWorkspaceImage")
    assert image["Properties"]["TimeoutSeconds"] == module.IMAGE_TIMEOUT.to_seconds() == 8 * 3600
    _, condition = only(template, "AWS::CloudFormation::WaitCondition")
    assert condition["Properties"]["Timeout"] == str(8 * 3600 + 600)  # and far below the action's 3 days
    _, bundle = only(template, "Custom::WorkspaceBundle")
    assert bundle["Properties"]["ImageId"] == image_id_of(template)


def synth_project(template: dict[str, Any]) -> dict[str, Any]:
    """The CodeBuild project of the Build stage's one action, the synth step."""
    (synth,) = pipeline_stages(template)["Build"]
    project: dict[str, Any] = resources(Template.from_json(template), "AWS::CodeBuild::Project")[
        synth["Configuration"]["ProjectName"]["Ref"]
    ]
    return project


def test_pipeline_synthesizes_the_app_where_it_lives_and_says_how_it_runs(tmp_path: Path) -> None:
    module, app, stack = pipeline_app(tmp_path)
    template = app.synth().get_stack_by_name(stack.stack_name).template
    (pipeline,) = resources(Template.from_json(template), "AWS::CodePipeline::Pipeline").values()
    assert (pipeline["Properties"]["PipelineType"], pipeline["Properties"]["ExecutionMode"]) == ("V2", "SUPERSEDED")
    # Named, so that the stage's stack can import it by ARN.
    assert pipeline["Properties"]["Name"] == module.PIPELINE_NAME
    buildspec = json.loads(synth_project(template)["Properties"]["Source"]["BuildSpec"])
    assert buildspec["phases"]["install"]["commands"] == ["pip install -r requirements.txt", "npm ci"]
    assert buildspec["phases"]["build"]["commands"] == [f"cd {module.APP_DIRECTORY}", *module.synth_commands()]
    read, *_, synthesize = module.synth_commands()
    # The generation comes from the monitor's parameter, and the synth is given it (run_synth_step runs them).
    assert f"aws ssm get-parameter --name {module.GENERATION_PARAMETER} --query Parameter.Value" in read
    assert synthesize == 'npx cdk synth -c "generation=$GENERATION"'
    assert buildspec["artifacts"]["base-directory"] == f"{module.APP_DIRECTORY}/cdk.out"
    # The commands name this repository's files: the example's folder, requirements.txt and package.json.
    assert ROOT / module.APP_DIRECTORY == EXAMPLES / "pipeline"
    assert (ROOT / "requirements.txt").is_file()
    assert (ROOT / "package-lock.json").is_file()


def run_synth_step(tmp_path: Path, shell: str, aws_says: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """The synth step's build commands after the `cd`, run by `shell` as CodeBuild runs a phase (one shell, and the
    build fails at the first command that exits with an error) against stand-ins for the AWS CLI and npx; what ran,
    and the arguments npx was given, one each ([] when it never ran)."""
    for name, body in {"aws": aws_says, "npx": 'printf "%s\\n" "$@" > npx.args'}.items():
        stand_in = tmp_path / name
        stand_in.write_text(f"#!/bin/sh\n{body}\n")
        stand_in.chmod(0o755)
    commands = load("pipeline").synth_commands()
    done = subprocess.run(
        [shell, "-c", "\n".join(f"{command} || exit 1" for command in commands)],
        cwd=tmp_path,
        env={**os.environ, "PATH": os.pathsep.join([str(tmp_path), os.environ["PATH"]])},
        capture_output=True,
        text=True,
        check=False,
    )
    ran = tmp_path / "npx.args"
    return done, ran.read_text().splitlines() if ran.exists() else []


@pytest.mark.parametrize("shell", ["sh", "bash"])  # CodeBuild's default shell is sh; bash is what many choose
@pytest.mark.parametrize(
    ("aws_says", "expected"),
    [
        ("echo 3", "3"),  # the parameter: the generation deployed, or the next one the monitor asked for
        (
            "echo 'An error occurred (ParameterNotFound) when calling the GetParameter operation' >&2; exit 254",
            "1",
        ),
        ("echo 'An error occurred (AccessDeniedException)' >&2; exit 254", None),  # never an earlier generation
    ],
)
def test_pipeline_synth_reads_the_generation_and_starts_at_1_only_without_the_parameter(
    tmp_path: Path, shell: str, aws_says: str, expected: str | None
) -> None:
    done, npx = run_synth_step(tmp_path, shell, aws_says)
    if expected is None:
        assert done.returncode != 0, done.stdout
        assert npx == [], "nothing is synthesized"
    else:
        assert (done.returncode, done.stdout.strip()) == (0, f"generation {expected}"), done.stderr
        assert npx == ["cdk", "synth", "-c", f"generation={expected}"]


@pytest.mark.parametrize("shell", ["sh", "bash"])
@pytest.mark.parametrize(
    "stored",
    [
        "2 -c source_image_id=wsi-attacker0001 --app=./elsewhere.sh",  # whoever may write the parameter
        "2\n-c\nsource_image_id=wsi-attacker0001",
        "$(touch pwned)",
        "-1",
        "",
        "None",  # what --output text prints for a value the query does not find
    ],
    ids=["arguments", "lines", "substitution", "negative", "empty", "none"],
)
def test_pipeline_synth_refuses_a_generation_that_is_not_a_whole_number(
    tmp_path: Path, shell: str, stored: str
) -> None:
    """The generation parameter is writable by more than the pipeline's owner (the monitor, anyone allowed
    ssm:PutParameter on it): a value other than ^[0-9]+$ fails the build, with the reason, before anything runs."""
    value = tmp_path / "value"
    value.write_text(stored)
    done, npx = run_synth_step(tmp_path, shell, f'cat "{value}"; echo')
    assert done.returncode != 0, done.stdout
    assert npx == [], "nothing is synthesized"
    assert not (tmp_path / "pwned").exists()
    assert "not a whole number" in done.stderr


def test_pipeline_synth_may_read_the_generation_parameter_and_no_other(tmp_path: Path) -> None:
    module, app, stack = pipeline_app(tmp_path, account=ACCOUNT, region=REGION)
    synthesized = app.synth().get_stack_by_name(stack.stack_name).template
    template = Template.from_json(synthesized)
    role = synth_project(synthesized)["Properties"]["ServiceRole"]["Fn::GetAtt"][0]
    statement = statement_with(template, "ssm:GetParameter")
    assert actions(statement) == ["ssm:GetParameter"]
    # The partition is written out: cdk.json sets @aws-cdk/core:enablePartitionLiterals (recommended) and the
    # stack's Region is known.
    assert render(statement["Resource"]) == f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{module.GENERATION_PARAMETER}"
    (policy,) = (
        p
        for p in resources(template, "AWS::IAM::Policy").values()
        if statement in p["Properties"]["PolicyDocument"]["Statement"]
    )
    assert policy["Properties"]["Roles"] == [{"Ref": role}]
    # Nothing else in the pipeline's stack touches SSM.
    assert [s for s in statements(template) if any(a.startswith("ssm:") for a in actions(s))] == [statement]


def test_pipeline_stage_has_the_monitor_that_asks_the_pipeline_for_the_next_generation(tmp_path: Path) -> None:
    module, _, stack = pipeline_app(tmp_path, account=ACCOUNT, region=REGION)
    template = Template.from_stack(stage_stack(stack))
    (monitor,) = (
        f
        for f in resources(template, "AWS::Lambda::Function").values()
        if contract.ENV_PIPELINE_NAME in f["Properties"].get("Environment", {}).get("Variables", {})
    )
    variables = monitor["Properties"]["Environment"]["Variables"]
    assert variables[contract.ENV_PIPELINE_NAME] == module.PIPELINE_NAME
    assert variables[contract.ENV_GENERATION_PARAMETER] == module.GENERATION_PARAMETER
    # The pipeline of the other stack, imported by its name: no cross-stack reference.
    start = statement_with(template, "codepipeline:StartPipelineExecution")
    assert render(start["Resource"]) == f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{module.PIPELINE_NAME}"
    _, parameter = only(template, "AWS::SSM::Parameter")
    assert (parameter["Properties"]["Name"], parameter["Properties"]["Value"]) == (module.GENERATION_PARAMETER, "1")


@pytest.mark.parametrize(("context", "name"), [({}, "golden-pipeline-1"), ({"generation": "2"}, "golden-pipeline-2")])
def test_pipeline_image_is_the_generation_of_the_name_template(
    tmp_path: Path, context: dict[str, str], name: str
) -> None:
    assert cdk_json_context("pipeline")["image_name"] == "golden-pipeline-{generation}"
    _, _, stack = pipeline_app(tmp_path, **context)
    template = Template.from_stack(stage_stack(stack))
    _, image = only(template, "Custom::UpdatedWorkspaceImage")
    assert (image["Properties"]["Name"], image["Properties"]["KeepPrevious"]) == (name, 1)
    # The deploy writes the generation it deployed: a rollback returns the parameter with the stack.
    _, parameter = only(template, "AWS::SSM::Parameter")
    assert parameter["Properties"]["Value"] == name.rsplit("-", 1)[1]


def test_pipeline_is_environment_agnostic_unless_the_context_names_account_and_region(tmp_path: Path) -> None:
    _, _, agnostic = pipeline_app(tmp_path / "agnostic")
    _, _, pinned = pipeline_app(tmp_path / "pinned", account=ACCOUNT, region=REGION)
    for stack, environment in (
        (agnostic, "aws://unknown-account/unknown-region"),
        (pinned, f"aws://{ACCOUNT}/{REGION}"),
    ):
        deployed = stage_stack(stack)
        assert (stack.environment, deployed.environment) == (environment, environment)


def test_pipeline_refuses_to_synthesize_without_its_context() -> None:
    with pytest.raises(ValueError, match="source_image_id, image_name, repository, branch, connection_arn"):
        load("pipeline").build_app(cdk.App(context=NO_BUNDLING))


def test_cdk_nag_findings_on_the_pipeline_example_are_cdk_pipelines_own(tmp_path: Path) -> None:
    """Why the pipeline example runs no cdk-nag: CDK Pipelines' constructs carry AwsSolutions findings, while the
    stage's stack (which the pack checks too) has none."""
    _, app, stack = pipeline_app(tmp_path)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    violations = [
        v
        for r in json.loads((tmp_path / "validation-report.json").read_text())["pluginReports"]
        for v in r["violations"]
    ]
    paths = {c["constructPath"] for v in violations for c in v["violatingConstructs"]}
    assert paths
    assert all(p.startswith(f"{stack.stack_name}/Pipeline/") for p in paths), sorted(paths)


# --- cross_account: shared with another account, copied to another Region -----------------------------------------


@pytest.fixture(scope="module")
def cross_account(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, cx_api.CloudAssembly]:
    module = load("cross_account")
    context = {**cdk_json_context("cross_account"), **SOURCE, **NO_BUNDLING}
    app = cdk.App(context=context, outdir=str(tmp_path_factory.mktemp("cross_account")))
    module.build_app(app)
    return module, app.synth()


def test_cross_account_stacks_deploy_where_the_readme_says_and_cdk_nag_finds_nothing(
    cross_account: tuple[ModuleType, cx_api.CloudAssembly],
) -> None:
    _, assembly = cross_account
    assert report(assembly)["pluginReports"] == []
    context = cdk_json_context("cross_account")
    producer, consumer = context["producer_account"], context["consumer_account"]
    environments = {s.stack_name: (s.environment.account, s.environment.region) for s in assembly.stacks}
    assert environments == {
        "GoldenImage": (producer, context["region"]),
        "GoldenBundleSecondRegion": (producer, context["second_region"]),
        "GoldenConsumer": (consumer, context["region"]),
    }


def test_cross_account_image_is_shared_with_the_consumer_and_copied_to_the_second_region(
    cross_account: tuple[ModuleType, cx_api.CloudAssembly],
) -> None:
    _, assembly = cross_account
    context = cdk_json_context("cross_account")
    template = Template.from_json(assembly.get_stack_by_name("GoldenImage").template)
    image_lid, image = only(template, "Custom::UpdatedWorkspaceImage")
    assert image["Properties"]["ShareWithAccounts"] == [context["consumer_account"]]
    _, copy = only(template, contract.COPY_TYPE)
    assert (copy["Properties"]["SourceRegion"], copy["Properties"]["Region"]) == (
        context["region"],
        context["second_region"],
    )
    (waited,) = (
        lid
        for lid, r in resources(template, "AWS::CloudFormation::WaitCondition").items()
        if image_lid in r["DependsOn"]
    )
    assert template.to_json()["Outputs"]["SharedImageId"]["Value"] == {
        "Fn::Select": [0, [{"Fn::GetAtt": [image_lid, "ImageId"]}, {"Ref": waited}]]
    }


def test_cross_account_second_region_bundle_is_on_the_copy_read_through_weak_cross_region_references(
    cross_account: tuple[ModuleType, cx_api.CloudAssembly],
) -> None:
    """cdk.json sets CDK's weak references: the second Region's stack reads the producer's outputs with
    Fn::GetStackOutput at each deploy, so the producer may replace the copy (the monthly image) without any export or
    SSM writer refusing the change."""
    _, assembly = cross_account
    context = cdk_json_context("cross_account")
    producer = assembly.get_stack_by_name("GoldenImage").template
    copy_id, _ = only(Template.from_json(producer), contract.COPY_TYPE)
    consumer = assembly.get_stack_by_name("GoldenBundleSecondRegion")
    template = Template.from_json(consumer.template)
    _, bundle = only(template, "Custom::WorkspaceBundle")
    # The copy's id and its wait condition, each an output of the producer: the bundle waits for the copy.
    read = [part["Fn::GetStackOutput"] for part in bundle["Properties"]["ImageId"]["Fn::Select"][1]]
    assert [(r["StackName"], r["Region"]) for r in read] == [("GoldenImage", context["region"])] * 2
    attribute, wait = (producer["Outputs"][r["OutputName"]]["Value"] for r in read)
    assert attribute == {"Fn::GetAtt": [copy_id, "ImageId"]}
    conditions = resources(Template.from_json(producer), "AWS::CloudFormation::WaitCondition")
    assert copy_id in conditions[wait["Ref"]]["DependsOn"]
    assert producer["Outputs"][read[0]["OutputName"]].get("Export") is None
    assert "Custom::CrossRegionExport" not in json.dumps(producer) + json.dumps(consumer.template)
    assert resources(template, contract.COPY_TYPE) == {}
    # Deployment order: the producer first.
    stacks = [d.id for d in consumer.dependencies if isinstance(d, cx_api.CloudFormationStackArtifact)]
    assert stacks == [assembly.get_stack_by_name("GoldenImage").id]


def test_cross_account_consumer_copies_the_shared_image_given_at_deploy_time_and_bundles_its_copy(
    cross_account: tuple[ModuleType, cx_api.CloudAssembly],
) -> None:
    _, assembly = cross_account
    consumer = assembly.get_stack_by_name("GoldenConsumer")
    template = Template.from_json(consumer.template)
    copy_id, copy = only(template, contract.COPY_TYPE)
    assert copy["Properties"]["SourceImageId"] == {"Ref": "SharedImageId"}
    assert consumer.template["Parameters"]["SharedImageId"]["Type"] == "String"
    _, bundle = only(template, "Custom::WorkspaceBundle")
    assert bundle["Properties"]["ImageId"]["Fn::Select"][1][0] == {"Fn::GetAtt": [copy_id, "ImageId"]}
    assert resources(template, "Custom::UpdatedWorkspaceImage") == {}
    # The shared image is another account's: the copy statement names it by no account (and its partition, as
    # cdk.json sets @aws-cdk/core:enablePartitionLiterals).
    copy_statement = statement_with(template, "workspaces:CopyWorkspaceImage")
    assert "arn:aws:workspaces:eu-west-1:*:workspaceimage/*" in [render(r) for r in copy_statement["Resource"]]
    assert "Fn::ImportValue" not in json.dumps(consumer.template)


def test_cross_account_refuses_to_synthesize_without_its_context() -> None:
    with pytest.raises(ValueError, match="source_image_id, producer_account, consumer_account, region, second_region"):
        load("cross_account").build_app(cdk.App(context=NO_BUNDLING))


# --- the CDK CLI, from each example's folder ------------------------------------------------------------------------

# --- captured and windows11_image_builder ----------------------------------------------------------------------------


def test_captured_captures_the_workspace_given_and_may_image_that_workspace_only(tmp_path: Path) -> None:
    app = cdk.App(context={"workspace_id": "ws-0123456789", **NO_BUNDLING}, outdir=str(tmp_path))
    stack: cdk.Stack = load("captured").build_app(app)
    assembly = app.synth()
    assert report(assembly)["pluginReports"] == []
    template = Template.from_stack(stack)
    _, image = only(template, contract.CAPTURED_TYPE)
    assert image["Properties"]["WorkspaceId"] == "ws-0123456789"
    capture = statement_with(template, "workspaces:CreateWorkspaceImage")
    named = [render(r) for r in capture["Resource"]]
    assert any(r.endswith(":workspace/ws-0123456789") for r in named), named
    assert not any(r.endswith(":workspace/*") for r in named), "no other WorkSpace"


def test_captured_refuses_to_synthesize_without_a_workspace() -> None:
    with pytest.raises(ValueError, match="workspace_id"):
        load("captured").build_app(cdk.App(context=NO_BUNDLING))


def test_windows11_imports_the_image_builder_build_with_dcv_and_bundles_it_in_order(tmp_path: Path) -> None:
    app = cdk.App(context={"parent_image": "ami-0123456789abcdef0", **NO_BUNDLING}, outdir=str(tmp_path))
    stack: cdk.Stack = load("windows11_image_builder").build_app(app)
    assembly = app.synth()
    assert suppressed_only(report(assembly)) == {"AwsSolutions-IAM4"}, "only the build role's managed policies"
    template = Template.from_stack(stack)
    build, _ = only(template, "AWS::ImageBuilder::Image")
    infrastructure, _ = only(template, "AWS::ImageBuilder::InfrastructureConfiguration")
    image, resource = only(template, contract.IMAGE_BUILDER_TYPE)
    properties = resource["Properties"]
    # The import reads the build's ARN, so CloudFormation builds first; the bundle waits for the image.
    assert properties["ImageSource"] == {"ImageBuildVersionArn": {"Fn::GetAtt": [build, "Arn"]}}
    assert properties["InfrastructureConfigurationArn"] == {"Fn::GetAtt": [infrastructure, "Arn"]}
    assert (properties["OsVersion"], properties["Protocol"]) == ("Windows_11", "DCV")
    _, bundle = only(template, contract.BUNDLE_TYPE)
    condition, _ = only(template, "AWS::CloudFormation::WaitCondition")
    assert bundle["Properties"]["ImageId"] == {
        "Fn::Select": [0, [{"Fn::GetAtt": [image, "ImageId"]}, {"Ref": condition}]]
    }


def test_windows11_refuses_to_synthesize_without_a_parent_image() -> None:
    with pytest.raises(ValueError, match="parent_image"):
        load("windows11_image_builder").build_app(cdk.App(context=NO_BUNDLING))


CLI_ARGUMENTS = {
    "minimal": ["-c", "source_image_id=wsi-0123456789"],
    "cross_stack": ["-c", "source_image_id=wsi-0123456789"],
    "pipeline": [],  # its cdk.json holds every value
    "cross_account": ["-c", "source_image_id=wsi-0123456789"],  # and its cdk.json the accounts and Regions
    "captured": ["-c", "workspace_id=ws-0123456789"],
    "windows11_image_builder": ["-c", "parent_image=ami-0123456789abcdef0"],
}


# Per example: the output directory and the finished `cdk synth`.
CliResults = dict[str, tuple[Path, "subprocess.CompletedProcess[str]"]]


@pytest.fixture(scope="module")
def cli_synth(tmp_path_factory: pytest.TempPathFactory) -> CliResults:
    """`cdk synth` in each example's folder, all at once, as a user runs it: the cdk.json app command, real asset
    bundling, cdk-nag where the app adds it. No AWS account: dummy credentials (conftest) and no lookups."""
    cdk_cli = ROOT / "node_modules" / ".bin" / "cdk"
    env = {
        **os.environ,
        # python3 of the app command is this environment's; node is the pinned Node 22.
        "PATH": os.pathsep.join([str(cdk_cli.parent), str(Path(sys.executable).parent), os.environ["PATH"]]),
        "CDK_DISABLE_VERSION_CHECK": "true",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }
    outdirs = {name: tmp_path_factory.mktemp(f"cli_{name}") for name in CLI_ARGUMENTS}
    done = run_at_once(
        {
            name: [str(cdk_cli), "synth", "--no-notices", "--quiet", "--output", str(outdirs[name]), *arguments]
            for name, arguments in CLI_ARGUMENTS.items()
        },
        cwd={name: EXAMPLES / name for name in CLI_ARGUMENTS},
        env=dict.fromkeys(CLI_ARGUMENTS, env),
    )
    results: CliResults = {name: (outdirs[name], done[name]) for name in CLI_ARGUMENTS}
    return results


def stack_names(outdir: Path) -> set[str]:
    """The names of the stacks of the assembly in outdir and of its nested assemblies (a pipeline's stages)."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    names: set[str] = set()
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact["type"] == "aws:cloudformation:stack":
            names.add(artifact["properties"].get("stackName", artifact_id))
        elif artifact["type"] == "cdk:cloud-assembly":
            names |= stack_names(outdir / artifact["properties"]["directoryName"])
    return names


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("minimal", {"MinimalWorkspaceImage"}),
        ("cross_stack", {"GoldenImage", "GoldenBundle"}),
        ("pipeline", {"GoldenImagePipeline", "Desktops-GoldenImage"}),
        ("cross_account", {"GoldenImage", "GoldenBundleSecondRegion", "GoldenConsumer"}),
        ("captured", {"CapturedWorkspaceImage"}),
        ("windows11_image_builder", {"Windows11GoldenImage"}),
    ],
)
def test_cdk_synth_runs_each_example_from_its_folder(cli_synth: CliResults, name: str, expected: set[str]) -> None:
    outdir, done = cli_synth[name]
    assert done.returncode == 0, f"{done.args} failed:\n{done.stdout}\n{done.stderr}"
    assert stack_names(outdir) == expected
    # cdk-nag ran (but in the pipeline example) and found nothing; the Windows 11 example acknowledges the AWS
    # managed policies of its Image Builder role, which Image Builder documents.
    found = json.loads((outdir / "validation-report.json").read_text())
    assert suppressed_only(found) == ({"AwsSolutions-IAM4"} if name == "windows11_image_builder" else set())
    # The handler asset was really bundled, locally: one folder, however many stacks share it.
    (asset,) = {p for p in outdir.rglob("asset.*") if p.is_dir()}
    assert {p.name for p in asset.iterdir()} == {"index.py", "monitor.py", "cdk_workspaces_image_handler", "crhelper"}
