"""The contract between the construct (at synth) and the handler (at run time): the names both sides use.

Resource type names, property and attribute keys, environment variable names, the ServiceTimeout, event
detail keys and the tag keys: one module, imported by both, so that neither side spells a name of its own
(like the provider framework's consts.ts in aws-cdk). The input rules are in rules.py.

No third-party imports: the module runs inside the Lambda asset and inside CDK.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

# ---------------------------------------------------------------- resource types and their properties

IMAGE_TYPE: Final = "Custom::UpdatedWorkspaceImage"
BUNDLE_TYPE: Final = "Custom::WorkspaceBundle"
BUNDLE_IMAGE_TYPE: Final = "Custom::WorkspaceBundleImage"
COPY_TYPE: Final = "Custom::WorkspaceImageCopy"
CAPTURED_TYPE: Final = "Custom::CapturedWorkspaceImage"
IMPORTED_TYPE: Final = "Custom::ImportedWorkspaceImage"
IMAGE_BUILDER_TYPE: Final = "Custom::ImageBuilderWorkspaceImage"


class ImageProps:
    """Custom::UpdatedWorkspaceImage: the first three are CreateUpdatedWorkspaceImage's own names."""

    SOURCE_IMAGE_ID: Final = "SourceImageId"
    NAME: Final = "Name"
    DESCRIPTION: Final = "Description"
    TAGS: Final = "Tags"
    NO_UPDATE_BEHAVIOR: Final = "NoUpdateBehavior"
    TIMEOUT_SECONDS: Final = "TimeoutSeconds"
    # The Ref of the AWS::CloudFormation::WaitConditionHandle the handler signals once the image is AVAILABLE.
    WAIT_HANDLE: Final = "WaitHandle"
    # How many images this resource made before the current one to keep when a replacement succeeds; absent:
    # keep them all.
    KEEP_PREVIOUS: Final = "KeepPrevious"
    # The accounts the image is shared with (UpdateWorkspaceImagePermission) once it is AVAILABLE; absent: none.
    SHARE_WITH_ACCOUNTS: Final = "ShareWithAccounts"


class CopyProps:
    """Custom::WorkspaceImageCopy: CopyWorkspaceImage's own names, and the Region it is called in."""

    SOURCE_IMAGE_ID: Final = "SourceImageId"
    SOURCE_REGION: Final = "SourceRegion"
    # Where the copy is made: CopyWorkspaceImage is called in the destination Region.
    REGION: Final = "Region"
    NAME: Final = "Name"
    DESCRIPTION: Final = "Description"
    TAGS: Final = "Tags"
    TIMEOUT_SECONDS: Final = "TimeoutSeconds"
    WAIT_HANDLE: Final = "WaitHandle"
    KEEP_PREVIOUS: Final = "KeepPrevious"
    # The account that must own the source image: a shared image is known only by its id, and WorkSpaces asks to
    # verify who shares it before copying it.
    SOURCE_ACCOUNT: Final = "SourceAccount"


class MadeImageProps:
    """What every image type made from something other than a WorkSpaces image takes besides its source: the
    image's wait, retention and sharing, named as the updated image names them."""

    TAGS: Final = "Tags"
    TIMEOUT_SECONDS: Final = "TimeoutSeconds"
    WAIT_HANDLE: Final = "WaitHandle"
    KEEP_PREVIOUS: Final = "KeepPrevious"
    SHARE_WITH_ACCOUNTS: Final = "ShareWithAccounts"


class CapturedProps(MadeImageProps):
    """Custom::CapturedWorkspaceImage: CreateWorkspaceImage's own names."""

    WORKSPACE_ID: Final = "WorkspaceId"
    NAME: Final = "Name"
    DESCRIPTION: Final = "Description"


class ImportedProps(MadeImageProps):
    """Custom::ImportedWorkspaceImage: ImportWorkspaceImage's own names."""

    EC2_IMAGE_ID: Final = "Ec2ImageId"
    INGESTION_PROCESS: Final = "IngestionProcess"
    NAME: Final = "ImageName"
    DESCRIPTION: Final = "ImageDescription"
    APPLICATIONS: Final = "Applications"


class ImageBuilderProps(MadeImageProps):
    """Custom::ImageBuilderWorkspaceImage: ImportCustomWorkspaceImage's own names; ImageSource holds exactly one of
    its three keys."""

    NAME: Final = "ImageName"
    DESCRIPTION: Final = "ImageDescription"
    IMAGE_SOURCE: Final = "ImageSource"
    IMAGE_BUILD_VERSION_ARN: Final = "ImageBuildVersionArn"
    EC2_IMAGE_ID: Final = "Ec2ImageId"
    EC2_IMPORT_TASK_ID: Final = "Ec2ImportTaskId"
    INFRASTRUCTURE_CONFIGURATION_ARN: Final = "InfrastructureConfigurationArn"
    OS_VERSION: Final = "OsVersion"
    PROTOCOL: Final = "Protocol"
    COMPUTE_TYPE: Final = "ComputeType"
    IMAGE_VALIDATION_MODE: Final = "ImageValidationMode"


# The keys of ImageSource, in the order a reason names them.
IMAGE_SOURCE_KEYS: Final = (
    ImageBuilderProps.IMAGE_BUILD_VERSION_ARN,
    ImageBuilderProps.EC2_IMAGE_ID,
    ImageBuilderProps.EC2_IMPORT_TASK_ID,
)


class BundleProps:
    """Custom::WorkspaceBundle: CreateWorkspaceBundle's own names."""

    BUNDLE_NAME: Final = "BundleName"
    BUNDLE_DESCRIPTION: Final = "BundleDescription"
    IMAGE_ID: Final = "ImageId"
    COMPUTE_TYPE: Final = "ComputeType"
    USER_STORAGE: Final = "UserStorage"
    ROOT_STORAGE: Final = "RootStorage"
    TAGS: Final = "Tags"
    # The keys inside ComputeType and the two storage objects.
    NAME: Final = "Name"
    CAPACITY: Final = "Capacity"


class BundleImageProps:
    """Custom::WorkspaceBundleImage (apply_to_bundle): UpdateWorkspaceBundle's own names."""

    BUNDLE_ID: Final = "BundleId"
    IMAGE_ID: Final = "ImageId"


# CloudFormation's own properties of every custom resource: the function to invoke, and how long to wait for it
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html).
CLOUDFORMATION_PROPERTIES: Final = ("ServiceToken", "ServiceTimeout")

# The properties each resource type takes besides CloudFormation's, in the order the construct writes them. Any
# other is refused, so that a misspelt property (Timeout for TimeoutSeconds) fails instead of being ignored.
PROPERTIES: Final[Mapping[str, tuple[str, ...]]] = {
    IMAGE_TYPE: (
        ImageProps.SOURCE_IMAGE_ID,
        ImageProps.NAME,
        ImageProps.DESCRIPTION,
        ImageProps.TIMEOUT_SECONDS,
        ImageProps.NO_UPDATE_BEHAVIOR,
        ImageProps.WAIT_HANDLE,
        ImageProps.KEEP_PREVIOUS,
        ImageProps.SHARE_WITH_ACCOUNTS,
        ImageProps.TAGS,
    ),
    BUNDLE_TYPE: (
        BundleProps.BUNDLE_NAME,
        BundleProps.BUNDLE_DESCRIPTION,
        BundleProps.IMAGE_ID,
        BundleProps.COMPUTE_TYPE,
        BundleProps.USER_STORAGE,
        BundleProps.ROOT_STORAGE,
        BundleProps.TAGS,
    ),
    BUNDLE_IMAGE_TYPE: (BundleImageProps.BUNDLE_ID, BundleImageProps.IMAGE_ID),
    COPY_TYPE: (
        CopyProps.SOURCE_IMAGE_ID,
        CopyProps.SOURCE_REGION,
        CopyProps.REGION,
        CopyProps.NAME,
        CopyProps.DESCRIPTION,
        CopyProps.TIMEOUT_SECONDS,
        CopyProps.WAIT_HANDLE,
        CopyProps.KEEP_PREVIOUS,
        CopyProps.SOURCE_ACCOUNT,
        CopyProps.TAGS,
    ),
    CAPTURED_TYPE: (
        CapturedProps.WORKSPACE_ID,
        CapturedProps.NAME,
        CapturedProps.DESCRIPTION,
        CapturedProps.TIMEOUT_SECONDS,
        CapturedProps.WAIT_HANDLE,
        CapturedProps.KEEP_PREVIOUS,
        CapturedProps.SHARE_WITH_ACCOUNTS,
        CapturedProps.TAGS,
    ),
    IMPORTED_TYPE: (
        ImportedProps.EC2_IMAGE_ID,
        ImportedProps.INGESTION_PROCESS,
        ImportedProps.NAME,
        ImportedProps.DESCRIPTION,
        ImportedProps.APPLICATIONS,
        ImportedProps.TIMEOUT_SECONDS,
        ImportedProps.WAIT_HANDLE,
        ImportedProps.KEEP_PREVIOUS,
        ImportedProps.SHARE_WITH_ACCOUNTS,
        ImportedProps.TAGS,
    ),
    IMAGE_BUILDER_TYPE: (
        ImageBuilderProps.NAME,
        ImageBuilderProps.DESCRIPTION,
        ImageBuilderProps.IMAGE_SOURCE,
        ImageBuilderProps.INFRASTRUCTURE_CONFIGURATION_ARN,
        ImageBuilderProps.OS_VERSION,
        ImageBuilderProps.PROTOCOL,
        ImageBuilderProps.COMPUTE_TYPE,
        ImageBuilderProps.IMAGE_VALIDATION_MODE,
        ImageBuilderProps.TIMEOUT_SECONDS,
        ImageBuilderProps.WAIT_HANDLE,
        ImageBuilderProps.KEEP_PREVIOUS,
        ImageBuilderProps.SHARE_WITH_ACCOUNTS,
        ImageBuilderProps.TAGS,
    ),
}
# The keys of one tag in Tags, as WorkSpaces takes it.
TAG_KEYS: Final = ("Key", "Value")


class Attributes:
    """The response Data keys: what ``get_att`` reads from the custom resources."""

    IMAGE_ID: Final = "ImageId"
    BUNDLE_ID: Final = "BundleId"
    PREVIOUS_IMAGE_ID: Final = "PreviousImageId"


# ---------------------------------------------------------------- the provider function

# Environment variables the construct sets on the function and the handler reads.
# The stack's watch: the DynamoDB table that holds what is being waited for, and the EventBridge rule that ticks.
ENV_WATCH_TABLE: Final = "WATCH_TABLE"
ENV_WATCH_RULE: Final = "WATCH_RULE"
# The function's own stack (its AWS::StackId): the handler serves requests of that stack only, and only those
# CloudFormation confirms (trust.py).
ENV_STACK_ID: Final = "STACK_ID"
# What the template says, which no request can: each a list separated by commas.
# The bundles the template's apply_to_bundle names: the only bundles the provider re-points, besides those its record
# says it re-pointed before.
ENV_APPLY_BUNDLES: Final = "APPLY_BUNDLE_IDS"
# The accounts the template's images are shared with: the only accounts the provider grants, besides those its record
# says it granted before.
ENV_SHARE_ACCOUNTS: Final = "SHARE_ACCOUNTS"
# Hosts besides Amazon S3's that the provider answers CloudFormation on: empty unless the app sets the context value
# TRUSTED_RESPONSE_HOSTS_CONTEXT (for a host CloudFormation may presign that trust.py does not know).
ENV_TRUSTED_RESPONSE_HOSTS: Final = "TRUSTED_RESPONSE_HOSTS"
TRUSTED_RESPONSE_HOSTS_CONTEXT: Final = "cdk-workspaces-image:trusted-response-hosts"
# How often the watch looks at what it waits for.
POLL_MINUTES: Final = 1
# The watch rule is named this prefix + the GUID of the stack's id: unique per stack in an account and Region.
WATCH_RULE_PREFIX: Final = "cdkwsi-"

# The watch rule's constant Input. It carries nothing: what to look at lives in the table, which only the
# provider's role may write, so an event shaped like a tick can at worst cause a look.
WATCH_KEY: Final = "CdkWorkspacesImageWatch"
TICK_INPUT: Final = json.dumps({WATCH_KEY: "tick"}, separators=(",", ":"))
# The table's key: one item per custom resource of the stack and physical resource it waits for (a replaced
# resource's cleanup Delete carries the logical id of the one that replaced it), and the provider's record of what
# it made (record.py, sort keys "record:..."). And the attribute TTL reads (waits only).
WATCH_TABLE_KEY: Final = "LogicalId"
WATCH_TABLE_SORT_KEY: Final = "PhysicalId"
WATCH_TABLE_TTL: Final = "ExpiresAt"

# A custom resource must answer within its ServiceTimeout, at most (and by default) 3600 s:
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html
SERVICE_TIMEOUT_SECONDS: Final = 3600

# TimeoutSeconds when the construct names no timeout: the longest wait for an image or a copy to become AVAILABLE.
# The construct writes it into the template, and the handler reads it when the property is absent.
DEFAULT_TIMEOUT_SECONDS: Final = 3 * 3600

# ---------------------------------------------------------------- events

# Every event the provider and the update monitor put on the account's default event bus (or on ENV_EVENT_BUS) has
# this source.
# WorkSpaces itself sends no image events to EventBridge. PutEvents: at most 256 KB per entry, Detail a JSON
# object (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html).
EVENT_SOURCE: Final = "cdk-workspaces-image"
# The event bus the provider and the update monitor put their events on, by name (the construct's event_bus); absent
# (or empty): the account's default bus, as before the variable existed.
ENV_EVENT_BUS: Final = "EVENT_BUS_NAME"
# The IAM condition key that limits PutEvents to that source
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html).
EVENT_SOURCE_CONDITION_KEY: Final = "events:source"


class DetailTypes:
    """The DetailType of each event: what a rule matches on besides the source."""

    # An image's wait ended: AVAILABLE, or ERROR / gone / timed out (Detail.FAILURE says which).
    IMAGE_AVAILABLE: Final = "WorkSpaces Image Available"
    IMAGE_FAILED: Final = "WorkSpaces Image Failed"
    # A bundle now uses another image (WorkspaceBundle's image changed, apply_to_bundle applied or restored).
    BUNDLE_IMAGE_CHANGED: Final = "WorkSpaces Bundle Image Changed"
    # keep_previous ran after a replacement: what it deleted and what it kept, and why.
    IMAGE_RETENTION: Final = "WorkSpaces Image Retention"
    # The update monitor found that AWS published updates for an image (Updates.UpdateAvailable).
    IMAGE_UPDATE_AVAILABLE: Final = "WorkSpaces Image Update Available"


class Detail:
    """The keys of an event's Detail. StackId and LogicalId name the custom resource (an image's rule matches
    them, so it survives the image's replacement); the rest name what happened."""

    STACK_ID: Final = "StackId"
    LOGICAL_ID: Final = "LogicalId"
    IMAGE_ID: Final = "ImageId"
    SOURCE_IMAGE_ID: Final = "SourceImageId"
    NAME: Final = "Name"
    STATE: Final = "State"
    REASON: Final = "Reason"
    # With IMAGE_FAILED: ERROR, TIMEOUT or GONE; with ERROR, the service's own words.
    FAILURE: Final = "Failure"
    ERROR_CODE: Final = "ErrorCode"
    ERROR_MESSAGE: Final = "ErrorMessage"
    ERROR_DETAILS: Final = "ErrorDetails"
    BUNDLE_ID: Final = "BundleId"
    PREVIOUS_IMAGE_ID: Final = "PreviousImageId"
    # With the events of an image made from something else than an image: what it was made from.
    WORKSPACE_ID: Final = "WorkspaceId"
    EC2_IMAGE_ID: Final = "Ec2ImageId"
    IMAGE_SOURCE: Final = "ImageSource"
    # With an import that reports its progress (ImportCustomWorkspaceImage): its last State, StateMessage and
    # ProgressPercentage.
    IMPORT_STATE: Final = "ImportState"
    STATE_MESSAGE: Final = "StateMessage"
    PROGRESS_PERCENTAGE: Final = "ProgressPercentage"
    # With a copy's events: the Region the copy is in, and the Region it was copied from.
    REGION: Final = "Region"
    SOURCE_REGION: Final = "SourceRegion"
    # With IMAGE_RETENTION: the ids deleted, and [{ImageId, Reason}] of those kept.
    DELETED: Final = "Deleted"
    KEPT: Final = "Kept"
    # With IMAGE_UPDATE_AVAILABLE: Updates.Description, and the pipeline started, if any.
    UPDATE_DESCRIPTION: Final = "UpdateDescription"
    PIPELINE: Final = "Pipeline"
    PIPELINE_EXECUTION_ID: Final = "PipelineExecutionId"
    # With IMAGE_UPDATE_AVAILABLE: the monitor's ENV_MONITOR_ID, which its on_update_available rule matches.
    MONITOR_ID: Final = "MonitorId"
    # With IMAGE_UPDATE_AVAILABLE and a generation parameter: the generation deployed, and the one asked for.
    GENERATION: Final = "Generation"
    NEXT_GENERATION: Final = "NextGeneration"
    KEEP_PREVIOUS: Final = "KeepPrevious"


class Failures:
    ERROR: Final = "ERROR"
    TIMEOUT: Final = "TIMEOUT"
    GONE: Final = "GONE"
    # The image is AVAILABLE but could not be shared with every account of share_with_accounts.
    SHARE: Final = "SHARE"


# ---------------------------------------------------------------- the update monitor

# A second function in the same asset: WorkspaceImageUpdateMonitor's, with its own role.
MONITOR_HANDLER: Final = "monitor.handler"
# The images it checks, comma-separated; the CodePipeline pipeline it starts, if any; the stack it is in.
ENV_MONITORED_IMAGES: Final = "MONITORED_IMAGE_IDS"
ENV_PIPELINE_NAME: Final = "PIPELINE_NAME"
ENV_MONITOR_ID: Final = "MONITOR_ID"
# With a generation parameter: its name (an SSM String parameter holding the generation to deploy), and the
# generation of the image the monitor watches, as deployed.
ENV_GENERATION_PARAMETER: Final = "GENERATION_PARAMETER"
ENV_MONITORED_GENERATION: Final = "MONITORED_GENERATION"

# ---------------------------------------------------------------- tag keys

OWNER_TAG_KEY = "cdk-workspaces-image:owner"
# apply_to_bundle marks a bundle it re-points with the image it replaced, so a retried request still knows it.
APPLIED_TAG_KEY = "cdk-workspaces-image:applied"
