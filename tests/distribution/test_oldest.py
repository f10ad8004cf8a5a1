"""The wheel installs beside the oldest aws-cdk-lib and constructs it supports, pip resolving its requirements, and
synthesizes there the template it synthesizes with the project's own (newest) aws-cdk-lib.

The oldest set is constraints-oldest.txt, installed from the wheelhouse scripts/bootstrap.sh downloads, with no
index (``support.distribution``; the session's ``oldest_python`` fixture). Exact pins in pyproject.toml would make
this fail with ResolutionImpossible, as they did for an app on aws-cdk-lib 2.240.0.
"""

from __future__ import annotations

import json
import sys
import textwrap
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from support import ROOT
from support.distribution import OLDEST

from cdk_workspaces_image import _bundling
from cdk_workspaces_image_handler import contract

# An image, a bundle on it, and the image applied to a bundle the stack does not manage: every resource type; with
# the monthly loop's generation, keep_previous, rules for the image's news, the update monitor with a pipeline, and
# all of their events on a bus of the stack (event_bus: its policy statement, the rules on it).
APP = textwrap.dedent(
    """
    import importlib.metadata, json, sys
    import aws_cdk as cdk
    import cdk_workspaces_image
    from aws_cdk import aws_codepipeline as codepipeline
    from aws_cdk import aws_events as events
    from cdk_workspaces_image import ComputeType, UpdatedWorkspaceImage, WorkspaceBundle, WorkspaceImageUpdateMonitor

    app = cdk.App(outdir=sys.argv[1])
    stack = cdk.Stack(app, "Oldest")
    bus = events.EventBus(stack, "News", event_bus_name="oldest-news")
    image = UpdatedWorkspaceImage(
        stack, "Golden", source_image_id="wsi-0123456789", image_name="oldest-{generation}", generation=3,
        keep_previous=1, description="On the oldest CDK", event_bus=bus,
    )
    image.on_image_available("Available")
    image.on_image_failed("Failed")
    pipeline = codepipeline.Pipeline.from_pipeline_arn(stack, "Pipeline", "arn:aws:codepipeline:eu-west-1:1:golden")
    WorkspaceImageUpdateMonitor(
        stack, "Monitor", images=[image], pipeline=pipeline, event_bus=bus
    ).on_update_available("Update")
    bundle = WorkspaceBundle(
        stack, "Standard", image_id=image.image_id, bundle_name="oldest-standard", description="Standard",
        compute_type=ComputeType.STANDARD, user_storage_gib=50, root_storage_gib=80, event_bus=bus,
    )
    image.apply_to_bundle("wsb-0123456789")
    cdk.CfnOutput(stack, "ImageId", value=image.image_id)
    cdk.CfnOutput(stack, "BundleId", value=bundle.bundle_id)
    app.synth()
    print(json.dumps({
        "package": cdk_workspaces_image.__file__,
        "installed": {d: importlib.metadata.version(d) for d in json.loads(sys.argv[2])},
        "validations": hasattr(cdk, "Validations"),
    }))
    """
)


def oldest() -> dict[str, str]:
    """constraints-oldest.txt: each distribution's pinned version."""
    pins = {}
    for line in OLDEST.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", line
            pins[requirement.name] = specifier.version
    return pins


def declared() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {Requirement(line).name: Requirement(line) for line in project["dependencies"]}


def test_pyproject_asks_for_ranges_from_the_oldest_tested_release() -> None:
    requirements, pins = declared(), oldest()
    assert set(requirements) == {"aws-cdk-lib", "constructs"}, "crhelper is vendored, never a requirement"
    floor = {s.operator: s.version for s in requirements["aws-cdk-lib"].specifier}
    assert floor == {">=": pins["aws-cdk-lib"], "<": "3"}
    assert {(s.operator, s.version) for s in requirements["constructs"].specifier} == {(">=", "10"), ("<", "11")}
    assert requirements["constructs"].specifier.contains(pins["constructs"])
    # The release named in the issue, on which an app could not install the library beside its aws-cdk-lib.
    assert requirements["aws-cdk-lib"].specifier.contains("2.240.0")


def normalized(template: dict[str, Any]) -> dict[str, Any]:
    """The resources and outputs, without what each aws-cdk-lib adds of its own: its metadata (construct paths,
    asset paths, cdk-nag 2 acknowledgments), CDKMetadata and the bootstrap version check."""
    resources = {
        logical_id: {key: value for key, value in resource.items() if key != "Metadata"}
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] != "AWS::CDK::Metadata"
    }
    return {"Resources": resources, "Outputs": template.get("Outputs", {})}


@pytest.mark.slow
def test_wheel_synthesizes_on_the_oldest_aws_cdk_lib(
    oldest_python: Path, sh: Callable[..., str], app_env: dict[str, str], tmp_path: Path
) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP)
    pinned = json.dumps(list(oldest()))
    out = sh(oldest_python, app, tmp_path / "oldest.out", pinned, cwd=tmp_path, env=app_env, timeout=240)
    report = json.loads(out.strip().splitlines()[-1])
    assert report["installed"] == oldest()
    assert Path(report["package"]).is_relative_to(oldest_python.parent.parent)
    template = json.loads((tmp_path / "oldest.out" / "Oldest.template.json").read_text())

    # The same template as the newest aws-cdk-lib writes (this process's), asset hash included: the asset is made
    # from the library alone.
    sys_argv = sys.argv
    try:
        sys.argv = ["app.py", str(tmp_path / "newest.out"), pinned]
        exec(compile(APP, "app.py", "exec"), {"__name__": "__main__"})
    finally:
        sys.argv = sys_argv
    newest = json.loads((tmp_path / "newest.out" / "Oldest.template.json").read_text())
    assert normalized(template) == normalized(newest)

    resources = template["Resources"].values()
    types = [resource["Type"] for resource in resources]
    for resource_type in (contract.IMAGE_TYPE, contract.BUNDLE_TYPE, contract.BUNDLE_IMAGE_TYPE):
        assert types.count(resource_type) == 1, types
    for resource in resources:
        if resource["Type"].startswith("Custom::"):
            assert resource["Properties"]["ServiceTimeout"] == str(contract.SERVICE_TIMEOUT_SECONDS)
    functions = [r for r in resources if r["Type"] == "AWS::Lambda::Function"]
    assert sorted(f["Properties"]["Handler"] for f in functions) == ["index.handler", contract.MONITOR_HANDLER]
    for function in functions:
        assert function["Properties"]["Runtime"] == "python3.14"
        assert "LogGroup" in function["Properties"]["LoggingConfig"]
    rules = [r["Properties"] for r in resources if r["Type"] == "AWS::Events::Rule"]
    patterns = [rule["EventPattern"] for rule in rules if "EventPattern" in rule]
    assert all("EventBusName" in rule for rule in rules if "EventPattern" in rule), "the rules are on the bus"
    (guard,) = [r["Properties"] for r in resources if r["Type"] == "AWS::Events::EventBusPolicy"]
    assert guard["Statement"]["Effect"] == "Deny"
    assert len(guard["Statement"]["Condition"]["StringNotEquals"]["aws:PrincipalArn"]) == 2, "provider and monitor"
    assert sorted(pattern["detail-type"][0] for pattern in patterns) == sorted(
        [
            contract.DetailTypes.IMAGE_AVAILABLE,
            contract.DetailTypes.IMAGE_FAILED,
            contract.DetailTypes.IMAGE_UPDATE_AVAILABLE,
        ]
    )

    # Without Validations, the acknowledgments are cdk-nag 2 suppressions in the template.
    suppressed = {
        rule["id"] + "".join(f"[{finding}]" for finding in rule.get("applies_to", []))
        for resource in resources
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }
    if report["validations"]:
        assert not suppressed
    else:
        assert "AwsSolutions-DDB3" in suppressed
        assert "AwsSolutions-IAM5[Resource::*]" in suppressed

    # The asset holds the vendored crhelper, byte for byte; this environment has no crhelper installed at all.
    asset = tmp_path / "oldest.out" / ("asset." + function["Properties"]["Code"]["S3Key"].removesuffix(".zip"))
    vendored = _bundling.crhelper_files(_bundling.CRHELPER_DIR)
    assert sorted(p.name for p in (asset / "crhelper").iterdir()) == sorted(p.name for p in vendored)
    for path in vendored:
        assert (asset / "crhelper" / path.name).read_bytes() == path.read_bytes()
    no_crhelper = "import importlib.util; assert importlib.util.find_spec('crhelper') is None"
    sh(oldest_python, "-c", no_crhelper, cwd=tmp_path)
