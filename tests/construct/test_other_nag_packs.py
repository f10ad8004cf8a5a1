"""cdk-nag's other rule packs on the example app: every finding is one docs/design.md explains.

HIPAA Security, NIST 800-53 R5, PCI DSS 3.2.1 and Serverless report only on what the library makes (the provider,
the update monitor, the rules of the image's events); design.md ("The other cdk-nag packs") says for each rule why
it does not apply there. A new finding, or one that went away, fails here, so that page stays true.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import aws_cdk as cdk
import pytest
from cdk_nag import HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks
from support import ROOT
from support.construct import NO_BUNDLING, load_example_app

PACKS = (HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks)
# What the library makes in the example: the provider, the update monitor (of the same kind: a function, its role
# and log group, a rule that invokes it) and the rules of on_image_available / on_image_failed (EventBusDLQ only,
# like the monitor's on_update_available: a DLQ for a notification is the target's, which is the app's).
OWNERS = (
    "WorkspacesImageExample/CdkWorkspacesImageProvider/",
    "WorkspacesImageExample/UpdateMonitor/",
    "WorkspacesImageExample/Golden/ImageAvailable/",
    "WorkspacesImageExample/Golden/ImageFailed/",
)


def findings(outdir: Path) -> set[str]:
    app = cdk.App(context=NO_BUNDLING, outdir=str(outdir))
    load_example_app().WorkspacesImageExample(
        app, "WorkspacesImageExample", source_image_id="wsi-0123456789", image_name="golden", bundle_name="golden-std"
    )
    cdk.Validations.of(app).add_plugins(*(pack(app) for pack in PACKS))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((outdir / "validation-report.json").read_text())
    found = set()
    for plugin in report["pluginReports"]:
        for violation in plugin["violations"]:
            paths = {c["constructPath"] for c in violation["violatingConstructs"]}
            assert all(p.startswith(OWNERS) for p in paths), paths
            found.add(violation["ruleName"])
    return found


def test_every_finding_of_the_other_packs_is_explained_in_the_design(tmp_path: Path) -> None:
    design = (ROOT / "docs" / "design.md").read_text()
    section = design[design.index("### The other cdk-nag packs") :]
    explained = set(re.findall(r"`((?:HIPAA\.Security|NIST\.800\.53\.R5|PCI\.DSS\.321|Serverless)-\w+)`", section))
    assert findings(tmp_path) == explained
