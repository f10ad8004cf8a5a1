"""The tools the forged-request rows use, on the deployed example app: the provider a forged request goes to, the
request as CloudFormation would shape it for the real stack, and an attacker's own client, under IAM. No request is
sent to the provider here: what it does with one is for the rows that forge them."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from support.lifecycle import World, every_resource_type


def test_the_example_apps_provider_and_a_forged_request_for_it(tmp_path: Path) -> None:
    world = World.for_every_resource_type()
    try:
        stack = world.deploy(every_resource_type(tmp_path))
        assert stack.status == "CREATE_COMPLETE", stack.reason
        arn = world.provider_arn(stack)
        assert arn in world.cfn.hosts
        (lid,) = [lid for lid, r in stack.resources.items() if r.type == "Custom::UpdatedWorkspaceImage"]
        image = stack.resources[lid]
        event = world.forged(stack, "Delete", lid, image.properties, physical_id=image.physical_id)
        assert (event["StackId"], event["ResourceType"], event["PhysicalResourceId"]) == (
            stack.stack_id,
            "Custom::UpdatedWorkspaceImage",
            image.physical_id,
        )
        assert event["ResourceProperties"]["ServiceToken"] == arn
        assert event["ResponseURL"].startswith("https://cloudformation-custom-resource-response-euwest1.s3.")
        # CreateTags takes no resource: whoever may call it tags any image, this stack's too (facts, IAM).
        tagger = world.client_as(
            "workspaces", [{"Effect": "Allow", "Action": "workspaces:CreateTags", "Resource": "*"}]
        )
        tagger.create_tags(ResourceId=image.physical_id, Tags=[{"Key": "forged", "Value": "yes"}])
        assert world.cloud.workspaces.images[image.physical_id].tags["forged"] == "yes"
        with pytest.raises(ClientError, match="AccessDeniedException"):
            tagger.delete_workspace_image(ImageId=image.physical_id)
        assert world.denials() == [], "an attacker's refusals are not the provider's policy gaps"
    finally:
        world.close()
