"""The contract between the construct (at synth) and the handler (at run time): one module, imported by both.

Resource type names, property and attribute keys, environment variable names, the ServiceTimeout, the tag
keys, and the input rules. The construct imports this very module, so a value is judged by the same rule and
reported in the same words wherever it is checked.

Each rule follows the CreateUpdatedWorkspaceImage, CreateWorkspaceBundle and UpdateWorkspaceBundle API
references (https://docs.aws.amazon.com/workspaces/latest/api/API_CreateUpdatedWorkspaceImage.html,
https://docs.aws.amazon.com/workspaces/latest/api/API_CreateWorkspaceBundle.html,
https://docs.aws.amazon.com/workspaces/latest/api/API_UpdateWorkspaceBundle.html) and the botocore model they
share, the WorkSpaces Administration Guide where named, and the tag limits of
https://docs.aws.amazon.com/workspaces/latest/adminguide/tag-workspaces-resources.html; the ownership tag is
this project's own.

No third-party imports: the module runs inside the Lambda asset and inside CDK.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Final, Optional, Union

# ---------------------------------------------------------------- resource types and their properties

IMAGE_TYPE: Final = "Custom::UpdatedWorkspaceImage"
BUNDLE_TYPE: Final = "Custom::WorkspaceBundle"
BUNDLE_IMAGE_TYPE: Final = "Custom::WorkspaceBundleImage"


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
# The function's own stack (its AWS::StackId): the handler serves requests of that stack only.
ENV_STACK_ID: Final = "STACK_ID"
# How often the watch looks at what it waits for.
POLL_MINUTES: Final = 1
# The watch rule is named this prefix + the GUID of the stack's id: unique per stack in an account and Region.
WATCH_RULE_PREFIX: Final = "cdkwsi-"

# The watch rule's constant Input. It carries nothing: what to look at lives in the table, which only the
# provider's role may write, so an event shaped like a tick can at worst cause a look.
WATCH_KEY: Final = "CdkWorkspacesImageWatch"
TICK_INPUT: Final = json.dumps({WATCH_KEY: "tick"}, separators=(",", ":"))
# The table's key: one item per custom resource of the stack and physical resource it waits for (a replaced
# resource's cleanup Delete carries the logical id of the one that replaced it). And the attribute TTL reads.
WATCH_TABLE_KEY: Final = "LogicalId"
WATCH_TABLE_SORT_KEY: Final = "PhysicalId"
WATCH_TABLE_TTL: Final = "ExpiresAt"

# A custom resource must answer within its ServiceTimeout, at most (and by default) 3600 s:
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html
SERVICE_TIMEOUT_SECONDS: Final = 3600

# ---------------------------------------------------------------- tag keys and input rules

OWNER_TAG_KEY = "cdk-workspaces-image:owner"
# apply_to_bundle marks a bundle it re-points with the image it replaced, so a retried request still knows it.
APPLIED_TAG_KEY = "cdk-workspaces-image:applied"

# Tag limits: 50 tags per WorkSpaces resource, one of which is the ownership tag.
MAX_TAGS = 50
MAX_USER_TAGS = MAX_TAGS - 1
MAX_TAG_KEY = 127
MAX_TAG_VALUE = 255

# Timeout: at least long enough to be meaningful, at most what a
# AWS::CloudFormation::WaitCondition can wait (43200 s).
MIN_TIMEOUT_SECONDS = 15 * 60
MAX_TIMEOUT_SECONDS = 12 * 60 * 60

# The handler reports a timeout itself, with the image's last state, this long
# before the wait condition would time out with CloudFormation's bare message.
WAIT_CONDITION_MARGIN_SECONDS = 600

NO_UPDATE_BEHAVIORS = ("FAIL", "USE_SOURCE")

# ComputeType.Name: the enum "Compute" of the botocore workspaces 2015-04-08 model, in its order.
COMPUTE_TYPES = (
    "VALUE",
    "STANDARD",
    "PERFORMANCE",
    "POWER",
    "GRAPHICS",
    "POWERPRO",
    "GENERALPURPOSE_4XLARGE",
    "GENERALPURPOSE_8XLARGE",
    "GRAPHICSPRO",
    "GRAPHICS_G4DN",
    "GRAPHICSPRO_G4DN",
    "GRAPHICS_G6_XLARGE",
    "GRAPHICS_G6_2XLARGE",
    "GRAPHICS_G6_4XLARGE",
    "GRAPHICS_G6_8XLARGE",
    "GRAPHICS_G6_16XLARGE",
    "GRAPHICS_GR6_4XLARGE",
    "GRAPHICS_GR6_8XLARGE",
    "GRAPHICS_G6F_LARGE",
    "GRAPHICS_G6F_XLARGE",
    "GRAPHICS_G6F_2XLARGE",
    "GRAPHICS_G6F_4XLARGE",
    "GRAPHICS_GR6F_4XLARGE",
    "GRAPHICS_G7_2XLARGE",
    "GRAPHICS_G7_4XLARGE",
    "GRAPHICS_G7_8XLARGE",
    "GRAPHICS_G7_12XLARGE",
)

# Root and user volumes come in fixed pairs (WorkSpaces Administration Guide, "Modify a WorkSpace in
# WorkSpaces Personal", https://docs.aws.amazon.com/workspaces/latest/adminguide/modify-workspaces.html,
# "Modify volume sizes"): root 80 GB with user 10, 50 or 100 GB, or root 175 to 2000 GB with user 100 to
# 2000 GB. "Create a custom WorkSpaces image and bundle" (create-custom-bundle.html) adds that a bundle's
# volumes can't be smaller than its image's, which only WorkSpaces can judge.
SMALL_ROOT_GB = 80
SMALL_USER_GB = (10, 50, 100)
LARGE_ROOT_GB = (175, 2000)
LARGE_USER_GB = (100, 2000)
STORAGE_PAIRS = "root 80 with user 10, 50 or 100, or root 175 to 2000 with user 100 to 2000 (GB)"

# Custom bundles per Region: 50, not adjustable (WorkSpaces Administration Guide, "Amazon WorkSpaces
# quotas", https://docs.aws.amazon.com/workspaces/latest/adminguide/workspaces-limits.html).
MAX_CUSTOM_BUNDLES = 50


def broken_rules(problems: Sequence[str]) -> str:
    """Every broken rule at once, in one reason: the words synth and the handler both report."""
    return "; ".join(problems)


def wait_condition_timeout(timeout_seconds: float) -> int:
    """The AWS::CloudFormation::WaitCondition Timeout for an image timeout (at most 43200 s)."""
    return int(min(timeout_seconds + WAIT_CONDITION_MARGIN_SECONDS, MAX_TIMEOUT_SECONDS))


def handler_wait_seconds(timeout_seconds: float) -> int:
    """How long the handler waits before it reports a timeout: always a margin inside the wait condition's."""
    return int(wait_condition_timeout(timeout_seconds) - WAIT_CONDITION_MARGIN_SECONDS)


_IMAGE_ID = re.compile(r"wsi-[0-9a-z]{9,63}")
_BUNDLE_ID = re.compile(r"wsb-[0-9a-z]{8,63}")
_NAME = re.compile(r"[a-zA-Z0-9_./()\\-]+")
_DESCRIPTION = re.compile(r"[a-zA-Z0-9_./() -]+")


def _label(python_name: str, api_name: str) -> str:
    return f"{python_name} ({api_name})"


def _length(label: str, value: str, low: int, high: int) -> Optional[str]:
    if not low <= len(value) <= high:
        return f"{label} {value!r} is {len(value)} characters long; it must be {low} to {high}"
    return None


def _pattern(label: str, value: str, pattern: re.Pattern[str], shown: str) -> Optional[str]:
    if not pattern.fullmatch(value):
        return f"{label} {value!r} must match the pattern {shown}"
    return None


def image_id_problem(
    value: str, python_name: str = "source_image_id", api_name: str = "SourceImageId"
) -> Optional[str]:
    return _pattern(_label(python_name, api_name), value, _IMAGE_ID, "wsi-[0-9a-z]{9,63}")


def bundle_id_problem(value: str) -> Optional[str]:
    return _pattern(_label("bundle_id", "BundleId"), value, _BUNDLE_ID, "wsb-[0-9a-z]{8,63}")


def name_problem(value: str, python_name: str = "image_name", api_name: str = "Name") -> Optional[str]:
    label = _label(python_name, api_name)
    return _length(label, value, 1, 64) or _pattern(label, value, _NAME, "[a-zA-Z0-9_./()\\-]+")


def description_problem(value: str, api_name: str = "Description", longest: int = 256) -> Optional[str]:
    label = _label("description", api_name)
    return _length(label, value, 1, longest) or _pattern(label, value, _DESCRIPTION, "[a-zA-Z0-9_./() -]+")


def timeout_problem(seconds: float) -> Optional[str]:
    if not MIN_TIMEOUT_SECONDS <= seconds <= MAX_TIMEOUT_SECONDS:
        return (
            f"timeout (TimeoutSeconds) {seconds:g} s is out of range; it must be "
            f"{MIN_TIMEOUT_SECONDS} s (15 minutes) to {MAX_TIMEOUT_SECONDS} s (12 hours), "
            "the longest a CloudFormation wait condition can wait"
        )
    return None


def no_update_behavior_problem(value: str) -> Optional[str]:
    if value not in NO_UPDATE_BEHAVIORS:
        return f"no_update_behavior (NoUpdateBehavior) {value!r} must be one of {', '.join(NO_UPDATE_BEHAVIORS)}"
    return None


def tag_count_problem(count: int) -> Optional[str]:
    if count > MAX_USER_TAGS:
        return (
            f"tags (Tags) has {count} tags; at most {MAX_USER_TAGS} are allowed, because a WorkSpaces "
            f"image or bundle holds at most {MAX_TAGS} tags and one is the ownership tag {OWNER_TAG_KEY!r}"
        )
    return None


def tag_key_problem(key: str) -> Optional[str]:
    label = "tags (Tags) key"
    if not 1 <= len(key) <= MAX_TAG_KEY:
        return f"{label} {key!r} is {len(key)} characters long; it must be 1 to {MAX_TAG_KEY}"
    if key.lower().startswith("aws:"):
        return f"{label} {key!r} starts with 'aws:', which AWS reserves for its own tags"
    if key == OWNER_TAG_KEY:
        return f"{label} {key!r} is reserved for the ownership tag this library sets"
    if key == APPLIED_TAG_KEY:
        return f"{label} {key!r} is reserved for the tag apply_to_bundle sets on a bundle it re-points"
    return None


def tag_value_problem(key: str, value: str) -> Optional[str]:
    if len(value) > MAX_TAG_VALUE:
        return f"tags (Tags) value of {key!r} is {len(value)} characters long; it must be at most {MAX_TAG_VALUE}"
    return None


def tags_problems(tags: Mapping[str, Optional[str]]) -> list[str]:
    """Problems with a tag map; a value of None stands for a token, unknown until deploy."""
    problems = [p for p in [tag_count_problem(len(tags))] if p]
    for key, value in tags.items():
        problems += [p for p in [tag_key_problem(key), None if value is None else tag_value_problem(key, value)] if p]
    return problems


def image_problems(
    *,
    source_image_id: Optional[str] = None,
    image_name: Optional[str] = None,
    description: Optional[str] = None,
    tags: Optional[Mapping[str, Optional[str]]] = None,
    timeout_seconds: Optional[float] = None,
    no_update_behavior: Optional[str] = None,
) -> list[str]:
    """Every rule broken by the known values; None means "not known yet" and is skipped."""
    found: Sequence[Optional[str]] = [
        None if source_image_id is None else image_id_problem(source_image_id),
        None if image_name is None else name_problem(image_name),
        None if description is None else description_problem(description),
        None if timeout_seconds is None else timeout_problem(timeout_seconds),
        None if no_update_behavior is None else no_update_behavior_problem(no_update_behavior),
    ]
    return [p for p in found if p] + (tags_problems(tags) if tags is not None else [])


def compute_type_problem(value: str) -> Optional[str]:
    if value not in COMPUTE_TYPES:
        return f"compute_type (ComputeType.Name) {value!r} must be one of {', '.join(COMPUTE_TYPES)}"
    return None


_USER_STORAGE = _label("user_storage_gib", "UserStorage.Capacity")
_ROOT_STORAGE = _label("root_storage_gib", "RootStorage.Capacity")


def _gigabytes(value: Union[str, float]) -> Optional[int]:
    """A capacity as a whole number of GB, from a number (synth) or the string CloudFormation passes."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    return int(text) if text.isdigit() else None


def _fits(user: int, root: int) -> bool:
    small = root == SMALL_ROOT_GB and user in SMALL_USER_GB
    large = LARGE_ROOT_GB[0] <= root <= LARGE_ROOT_GB[1] and LARGE_USER_GB[0] <= user <= LARGE_USER_GB[1]
    return small or large


def storage_problems(user_storage_gib: Union[str, float], root_storage_gib: Union[str, float, None]) -> list[str]:
    """Whether the volume sizes are a documented pair; without a root size, whether the user size is in one."""
    user = _gigabytes(user_storage_gib)
    root = None if root_storage_gib is None else _gigabytes(root_storage_gib)
    problems = [f"{_USER_STORAGE} {user_storage_gib!r} must be a whole number of GB"] if user is None else []
    if root_storage_gib is not None and root is None:
        problems.append(f"{_ROOT_STORAGE} {root_storage_gib!r} must be a whole number of GB")
    if problems or user is None:
        return problems
    if root is not None and not _fits(user, root):
        return [
            f"{_USER_STORAGE} {user} with {_ROOT_STORAGE} {root} is not a documented pair of volume sizes; "
            f"WorkSpaces takes {STORAGE_PAIRS}"
        ]
    if root is None and not (_fits(user, SMALL_ROOT_GB) or _fits(user, LARGE_ROOT_GB[0])):
        return [f"{_USER_STORAGE} {user} is in no documented pair of volume sizes; WorkSpaces takes {STORAGE_PAIRS}"]
    return []


def bundle_problems(
    *,
    bundle_name: Optional[str] = None,
    description: Optional[str] = None,
    image_id: Optional[str] = None,
    compute_type: Optional[str] = None,
    tags: Optional[Mapping[str, Optional[str]]] = None,
) -> list[str]:
    """Every rule of CreateWorkspaceBundle broken by the known values but the storage pair (storage_problems)."""
    found: Sequence[Optional[str]] = [
        None if bundle_name is None else name_problem(bundle_name, "bundle_name", "BundleName"),
        None if description is None else description_problem(description, "BundleDescription", 255),
        None if image_id is None else image_id_problem(image_id, "image_id", "ImageId"),
        None if compute_type is None else compute_type_problem(compute_type),
    ]
    return [p for p in found if p] + (tags_problems(tags) if tags is not None else [])


def bundle_image_problems(*, bundle_id: Optional[str] = None, image_id: Optional[str] = None) -> list[str]:
    """The rules of UpdateWorkspaceBundle, for apply_to_bundle."""
    found = [
        None if bundle_id is None else bundle_id_problem(bundle_id),
        None if image_id is None else image_id_problem(image_id, "image_id", "ImageId"),
    ]
    return [p for p in found if p]
