"""The input rules: what a property's value may be, and the words a broken rule is reported in.

The construct imports this very module, so a value is judged by the same rule and reported in the same words
at synth (where tokens hide some values: UNKNOWN) and in the handler (which judges what they resolved to).
The names the rules speak of are in contract.py.

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

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, Optional, Union

from .contract import (
    APPLIED_TAG_KEY,
    CLOUDFORMATION_PROPERTIES,
    IMAGE_SOURCE_KEYS,
    OWNER_TAG_KEY,
    PROPERTIES,
    CapturedProps,
    CopyProps,
    ImageBuilderProps,
    ImageProps,
    ImportedProps,
)
from .regions import BOTOCORE_VERSION, PARTITIONS

# ---------------------------------------------------------------- limits

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

# The enums of ImportWorkspaceImage and ImportCustomWorkspaceImage in the botocore workspaces 2015-04-08 model, in
# its order (https://docs.aws.amazon.com/workspaces/latest/api/API_ImportWorkspaceImage.html,
# https://docs.aws.amazon.com/workspaces/latest/api/API_ImportCustomWorkspaceImage.html).
INGESTION_PROCESSES: Final = (
    "BYOL_REGULAR",
    "BYOL_GRAPHICS",
    "BYOL_GRAPHICSPRO",
    "BYOL_GRAPHICS_G4DN",
    "BYOL_REGULAR_WSP",
    "BYOL_GRAPHICS_G4DN_WSP",
    "BYOL_REGULAR_BYOP",
    "BYOL_GRAPHICS_G4DN_BYOP",
)
APPLICATIONS: Final = ("Microsoft_Office_2016", "Microsoft_Office_2019")
OS_VERSIONS: Final = ("Windows_10", "Windows_11")
PROTOCOLS: Final = ("PCOIP", "DCV", "BYOP")
IMAGE_COMPUTE_TYPES: Final = ("BASE", "GRAPHICS_G4DN", "GRAPHICS_G6", "GRAPHICS_G7")
IMAGE_VALIDATION_MODES: Final = ("CUSTOMER_MANAGED", "SERVICE_MANAGED")

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


# What a removal policy may be. CloudFormation can snapshot only the resource types that list Snapshot in
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html, and a
# custom resource is none of them (cfn-lint E3035 for DeletionPolicy, E3036 for UpdateReplacePolicy).
REMOVAL_POLICIES: Final = ("RETAIN_ON_UPDATE_OR_DELETE", "RETAIN", "DESTROY")

# What to do instead of re-pointing a bundle a WorkspaceBundle manages: synth and the handler both say it.
MANAGED_BUNDLE_FIX: Final = "change that WorkspaceBundle's image_id instead of applying an image to it"


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
# The sources of the other image-making APIs, as their botocore models spell them.
_WORKSPACE_ID = re.compile(r"ws-[0-9a-z]{8,63}")
_AMI_ID = re.compile(r"ami-([a-f0-9]{8}|[a-f0-9]{17})")
_IMPORT_TASK_ID = re.compile(r"import-ami-([a-zA-Z0-9]{8}|[a-zA-Z0-9]{17})")
_IMAGE_BUILD_VERSION_ARN = re.compile(
    r"arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws(?:-[a-z-]+)?):image/[a-z0-9-_]+/"
    r"(?:(?:([0-9]+|x)\.([0-9]+|x)\.([0-9]+|x))|(?:[0-9]+\.[0-9]+\.[0-9]+/[0-9]+))"
)
_INFRASTRUCTURE_CONFIGURATION_ARN = re.compile(
    r"arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws):infrastructure-configuration/[a-z0-9-_]+"
)
# SharedAccountId of UpdateWorkspaceImagePermission
# (https://docs.aws.amazon.com/workspaces/latest/api/API_UpdateWorkspaceImagePermission.html).
_ACCOUNT_ID = re.compile(r"\d{12}")


class Unknown:
    """The type of UNKNOWN."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = Unknown()
"""A value synth cannot know (a token): its rules are left to the handler, which judges the value it resolves to.

None is not unknown: it is a value like any other, and a required property that is None is missing.
"""


def label_of(python_name: str, api_name: str) -> str:
    """How a reason names a property: its construct prop, then its name in the template or the API."""
    return f"{python_name} ({api_name})"


def _missing(label: str) -> str:
    return f"{label} is missing (None); it is required"


def type_problem(label: str, value: object, expected: str) -> str:
    """A value of the wrong type, or None for a required property: the property, the value, what it must be."""
    if value is None:
        return _missing(label)
    return f"{label} {value!r} must be {expected}"


def number_shown(value: object) -> str:
    """A numeric value as a reason shows it: the number a prop takes at synth, and the same number for the string
    CloudFormation passes the handler once a Number parameter resolves ("-1" is -1), so both say the same words."""
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return repr(value)
        if -float("inf") < number < float("inf"):  # neither NaN nor infinite
            return repr(int(number)) if number.is_integer() else repr(number)
    return repr(value)


def _these(names: Sequence[object], noun: str, nouns: str) -> str:
    return f"the {noun if len(names) == 1 else nouns} {', '.join(repr(n) for n in names)}"


def unknown_properties_problem(resource_type: str, given: Iterable[object]) -> Optional[str]:
    """Properties the resource type does not take, named with those it does."""
    takes = PROPERTIES[resource_type]
    unknown = [key for key in given if key not in takes and key not in CLOUDFORMATION_PROPERTIES]
    if not unknown:
        return None
    return (
        f"remove or rename {_these(unknown, 'property', 'properties')}, which {resource_type} does not take; "
        f"it takes {', '.join(takes)}, and CloudFormation's {' and '.join(CLOUDFORMATION_PROPERTIES)}"
    )


def unknown_keys_problem(label: str, value: Mapping[object, object], takes: Sequence[str]) -> Optional[str]:
    """Keys of an object property (ComputeType, a storage size, a tag) that it does not take."""
    unknown = [key for key in value if key not in takes]
    if not unknown:
        return None
    return f"remove or rename {_these(unknown, 'key', 'keys')} of {label} {dict(value)!r}; it takes {', '.join(takes)}"


def _length(label: str, value: str, low: int, high: int) -> Optional[str]:
    if not low <= len(value) <= high:
        return f"{label} {value!r} is {len(value)} characters long; it must be {low} to {high}"
    return None


def _pattern(label: str, value: str, pattern: re.Pattern[str], shown: str) -> Optional[str]:
    if not pattern.fullmatch(value):
        return f"{label} {value!r} must match the pattern {shown}"
    return None


def image_id_problem(
    value: object, python_name: str = "source_image_id", api_name: str = "SourceImageId"
) -> Optional[str]:
    label = label_of(python_name, api_name)
    if not isinstance(value, str):
        return type_problem(label, value, "a string")
    return _pattern(label, value, _IMAGE_ID, "wsi-[0-9a-z]{9,63}")


def bundle_id_problem(value: object) -> Optional[str]:
    label = label_of("bundle_id", "BundleId")
    if not isinstance(value, str):
        return type_problem(label, value, "a string")
    return _pattern(label, value, _BUNDLE_ID, "wsb-[0-9a-z]{8,63}")


def name_problem(value: object, python_name: str = "image_name", api_name: str = "Name") -> Optional[str]:
    label = label_of(python_name, api_name)
    if not isinstance(value, str):
        return type_problem(label, value, "a string")
    return _length(label, value, 1, 64) or _pattern(label, value, _NAME, "[a-zA-Z0-9_./()\\-]+")


def description_problem(value: object, api_name: str = "Description", longest: int = 256) -> Optional[str]:
    label = label_of("description", api_name)
    if not isinstance(value, str):
        return type_problem(label, value, "a string")
    return _length(label, value, 1, longest) or _pattern(label, value, _DESCRIPTION, "[a-zA-Z0-9_./() -]+")


def timeout_problem(seconds: float) -> Optional[str]:
    if not float(seconds).is_integer():
        # TimeoutSeconds, and the wait condition's Timeout made of it, are whole seconds.
        return f"timeout (TimeoutSeconds) {seconds:g} s must be a whole number of seconds"
    if not MIN_TIMEOUT_SECONDS <= seconds <= MAX_TIMEOUT_SECONDS:
        return (
            f"timeout (TimeoutSeconds) {seconds:g} s is out of range; it must be "
            f"{MIN_TIMEOUT_SECONDS} s (15 minutes) to {MAX_TIMEOUT_SECONDS} s (12 hours), "
            "the longest a CloudFormation wait condition can wait"
        )
    return None


def no_update_behavior_problem(value: object) -> Optional[str]:
    if not isinstance(value, str) or value not in NO_UPDATE_BEHAVIORS:
        return f"no_update_behavior (NoUpdateBehavior) {value!r} must be one of {', '.join(NO_UPDATE_BEHAVIORS)}"
    return None


def keep_previous_problem(value: object) -> Optional[str]:
    """keep_previous: a whole number of images, 0 or more; None (absent) keeps every image."""
    if value is None:
        return None
    label = label_of("keep_previous", "KeepPrevious")
    count = whole_number(value)  # from a number (synth) or the string CloudFormation passes
    if count is None or count < 0:
        return f"{label} {number_shown(value)} must be a whole number of images, 0 or more"
    return None


# The placeholder an image name takes for its generation.
GENERATION_PLACEHOLDER: Final = "{generation}"


def generation_problems(image_name: object, generation: object) -> list[str]:
    """generation with image_name as a template: a generation needs the placeholder in the name, so that every
    generation's image has a name of its own (the new image is made while the previous one still exists)."""
    holds = isinstance(image_name, str) and GENERATION_PLACEHOLDER in image_name
    if generation is None:
        if holds:
            return [
                f"image_name (Name) {image_name!r} holds {GENERATION_PLACEHOLDER} but generation is not set; "
                f"set generation, or take {GENERATION_PLACEHOLDER} out of image_name"
            ]
        return []
    if isinstance(generation, bool) or not isinstance(generation, int) or generation < 1:
        return [f"generation {generation!r} must be a whole number, 1 or more"]
    if isinstance(image_name, str) and not holds:
        return [
            f"image_name (Name) {image_name!r} must hold {GENERATION_PLACEHOLDER} when generation is set, so that "
            "each generation's image has its own name: the next one is made while this one still exists"
        ]
    return []


def generation_name(image_name: str, generation: Optional[int]) -> str:
    """The image name of one generation: the template with its placeholder filled in."""
    if generation is None:
        return image_name
    return image_name.replace(GENERATION_PLACEHOLDER, str(generation))


SHARE_LABEL: Final = label_of("share_with_accounts", ImageProps.SHARE_WITH_ACCOUNTS)


def share_with_accounts_problems(
    accounts: object, *, own_account: object = UNKNOWN, no_update_behavior: object = UNKNOWN
) -> list[str]:
    """share_with_accounts: other AWS accounts, each once, by 12-digit id; UNKNOWN (the list or an id) is a token.

    Sharing writes to the image, so it needs an image this resource makes: with no_update_behavior USE_SOURCE
    the answer may be the source image as is, which is not this resource's to share."""
    if accounts is None or isinstance(accounts, Unknown):
        return []
    if isinstance(accounts, (str, bytes)) or not isinstance(accounts, Sequence):
        return [f"{SHARE_LABEL} {accounts!r} must be a list of 12-digit AWS account ids"]
    problems: list[str] = []
    seen: set[str] = set()
    for account in accounts:
        if isinstance(account, Unknown):
            continue
        if not isinstance(account, str) or not _ACCOUNT_ID.fullmatch(account):
            problems.append(f"{SHARE_LABEL} names {account!r}; each must be a 12-digit AWS account id, as a string")
        elif account in seen:
            problems.append(f"{SHARE_LABEL} names account {account} more than once")
        elif isinstance(own_account, str) and account == own_account:
            problems.append(
                f"{SHARE_LABEL} names {account}, the stack's own account; an image is shared with other accounts"
            )
        if isinstance(account, str):
            seen.add(account)
    if accounts and no_update_behavior == "USE_SOURCE":
        problems.append(
            f"{SHARE_LABEL} needs no_update_behavior (NoUpdateBehavior) FAIL: with USE_SOURCE the image may be the "
            "source image as is, which this resource did not make and so may not share; share the source yourself, "
            "or set no_update_behavior to FAIL"
        )
    return problems


def byol_share_words(region: str) -> str:
    """Why a Bring Your Own License image is not shared in AWS GovCloud (US): "Sharing Bring Your Own License (BYOL)
    images across AWS accounts isn't supported at this time in AWS GovCloud (US)"
    (https://docs.aws.amazon.com/workspaces/latest/api/API_UpdateWorkspaceImagePermission.html); the handler says it
    of an image it made (sharing.py), synth of an image type that is always BYOL."""
    return (
        f"AWS GovCloud (US) Regions such as {region} do not share BYOL images across accounts; remove "
        "share_with_accounts, or ask AWS Support to share it"
    )


def byol_share_problem(accounts: object, region: object) -> Optional[str]:
    """share_with_accounts of an image type that is always BYOL (ImportWorkspaceImage, ImportCustomWorkspaceImage), in
    a Region known to be in AWS GovCloud (US); a list token, or no Region known, is left to the handler."""
    if isinstance(accounts, (str, bytes)) or not isinstance(accounts, Sequence) or not accounts:
        return None
    if not isinstance(region, str) or not region.startswith(GOVCLOUD_PREFIX):
        return None
    return (
        f"{SHARE_LABEL} {list(accounts)!r}: an imported image is a Bring Your Own License image, and "
        f"{byol_share_words(region)}"
    )


def wait_handle_problem(value: object) -> Optional[str]:
    """WaitHandle is the Ref of the image's AWS::CloudFormation::WaitConditionHandle, a URL; optional."""
    if value is not None and not isinstance(value, str):
        return f"WaitHandle {value!r} must be a string, the Ref of a WaitConditionHandle"
    return None


def removal_policy_problem(name: str) -> Optional[str]:
    """A removal policy, by its name in RemovalPolicy: a custom resource cannot be snapshotted."""
    if name not in REMOVAL_POLICIES:
        return (
            f"removal_policy (DeletionPolicy) RemovalPolicy.{name} must be one of "
            f"{', '.join('RemovalPolicy.' + n for n in REMOVAL_POLICIES)}: CloudFormation snapshots only the "
            "resource types the DeletionPolicy reference lists, and a custom resource is none of them "
            "(cfn-lint E3035, E3036)"
        )
    return None


def tag_count_problem(count: int) -> Optional[str]:
    if count > MAX_USER_TAGS:
        return (
            f"tags (Tags) has {count} tags; at most {MAX_USER_TAGS} are allowed, because a WorkSpaces "
            f"image or bundle holds at most {MAX_TAGS} tags and one is the ownership tag {OWNER_TAG_KEY!r}"
        )
    return None


def tag_key_problem(key: object) -> Optional[str]:
    label = "tags (Tags) key"
    if not isinstance(key, str):
        return f"{label} {key!r} must be a string"
    if not 1 <= len(key) <= MAX_TAG_KEY:
        return f"{label} {key!r} is {len(key)} characters long; it must be 1 to {MAX_TAG_KEY}"
    if key.lower().startswith("aws:"):
        return f"{label} {key!r} starts with 'aws:', which AWS reserves for its own tags"
    if key == OWNER_TAG_KEY:
        return f"{label} {key!r} is reserved for the ownership tag this library sets"
    if key == APPLIED_TAG_KEY:
        return f"{label} {key!r} is reserved for the tag apply_to_bundle sets on a bundle it re-points"
    return None


def tag_value_problem(key: object, value: object) -> Optional[str]:
    if not isinstance(value, str):
        return f"tags (Tags) value of {key!r} {value!r} must be a string"
    if len(value) > MAX_TAG_VALUE:
        return f"tags (Tags) value of {key!r} is {len(value)} characters long; it must be at most {MAX_TAG_VALUE}"
    return None


def tags_problems(tags: object) -> list[str]:
    """Problems with a tag map (key to value); UNKNOWN, for the whole map or a value, stands for a token."""
    if isinstance(tags, Unknown):
        return []
    if not isinstance(tags, Mapping):
        return [f"tags (Tags) {tags!r} must be a mapping of tag keys to values"]
    problems = [p for p in [tag_count_problem(len(tags))] if p]
    for key, value in tags.items():
        judged = None if isinstance(value, Unknown) else tag_value_problem(key, value)
        problems += [p for p in [tag_key_problem(key), judged] if p]
    return problems


def image_problems(
    *,
    source_image_id: object = UNKNOWN,
    image_name: object = UNKNOWN,
    description: object = UNKNOWN,
    tags: object = UNKNOWN,
    timeout_seconds: Union[float, Unknown] = UNKNOWN,
    no_update_behavior: object = UNKNOWN,
    keep_previous: object = UNKNOWN,
    share_with_accounts: object = None,
    own_account: object = UNKNOWN,
) -> list[str]:
    """Every rule broken by the values; UNKNOWN means "a token, not known yet" and is skipped.

    `own_account`: the stack's account, which share_with_accounts may not name."""
    found: Sequence[Optional[str]] = [
        None if isinstance(source_image_id, Unknown) else image_id_problem(source_image_id),
        None if isinstance(image_name, Unknown) else name_problem(image_name),
        None if isinstance(description, Unknown) else description_problem(description),
        None if isinstance(timeout_seconds, Unknown) else timeout_problem(timeout_seconds),
        None if isinstance(no_update_behavior, Unknown) else no_update_behavior_problem(no_update_behavior),
        None if isinstance(keep_previous, Unknown) else keep_previous_problem(keep_previous),
    ]
    shares = share_with_accounts_problems(
        share_with_accounts, own_account=own_account, no_update_behavior=no_update_behavior
    )
    return [p for p in found if p] + shares + tags_problems(tags)


def compute_type_problem(value: object) -> Optional[str]:
    if value is None:
        return _missing("compute_type (ComputeType.Name)")
    if not isinstance(value, str) or value not in COMPUTE_TYPES:
        return f"compute_type (ComputeType.Name) {value!r} must be one of {', '.join(COMPUTE_TYPES)}"
    return None


_USER_STORAGE = label_of("user_storage_gib", "UserStorage.Capacity")
_ROOT_STORAGE = label_of("root_storage_gib", "RootStorage.Capacity")


def whole_number(value: object) -> Optional[int]:
    """A whole number (a capacity in GB, a count), from a number (synth) or the string CloudFormation passes."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        # NaN and the infinities are no whole number either.
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        # As a Number parameter passes it: "-1" is the -1 synth judges, and "80.0" the 80.0.
        try:
            number = float(value)
        except ValueError:
            return None
        return int(number) if number.is_integer() else None
    return None


def _fits(user: int, root: int) -> bool:
    small = root == SMALL_ROOT_GB and user in SMALL_USER_GB
    large = LARGE_ROOT_GB[0] <= root <= LARGE_ROOT_GB[1] and LARGE_USER_GB[0] <= user <= LARGE_USER_GB[1]
    return small or large


def storage_problems(user_storage_gib: object, root_storage_gib: object = None) -> list[str]:
    """Whether the volume sizes are a documented pair; without a root size (None), whether the user size is in one.

    A size that is UNKNOWN (a token) is judged at deploy time, and so is the pair it belongs to.
    """
    problems: list[str] = []
    user: Optional[int] = None
    root: Optional[int] = None
    if user_storage_gib is None:
        problems.append(_missing(_USER_STORAGE))
    elif not isinstance(user_storage_gib, Unknown):
        user = whole_number(user_storage_gib)
        if user is None:
            problems.append(f"{_USER_STORAGE} {number_shown(user_storage_gib)} must be a whole number of GB")
    if root_storage_gib is not None and not isinstance(root_storage_gib, Unknown):
        root = whole_number(root_storage_gib)
        if root is None:
            problems.append(f"{_ROOT_STORAGE} {number_shown(root_storage_gib)} must be a whole number of GB")
    if problems or user is None or isinstance(root_storage_gib, Unknown):
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
    bundle_name: object = UNKNOWN,
    description: object = UNKNOWN,
    image_id: object = UNKNOWN,
    compute_type: object = UNKNOWN,
    tags: object = UNKNOWN,
) -> list[str]:
    """Every rule of CreateWorkspaceBundle broken by the values but the storage pair (storage_problems)."""
    found: Sequence[Optional[str]] = [
        None if isinstance(bundle_name, Unknown) else name_problem(bundle_name, "bundle_name", "BundleName"),
        None if isinstance(description, Unknown) else description_problem(description, "BundleDescription", 255),
        None if isinstance(image_id, Unknown) else image_id_problem(image_id, "image_id", "ImageId"),
        None if isinstance(compute_type, Unknown) else compute_type_problem(compute_type),
    ]
    return [p for p in found if p] + tags_problems(tags)


# ---------------------------------------------------------------- copies (CopyWorkspaceImage)

# A Region's name (eu-west-1, us-gov-west-1, cn-northwest-1).
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
# The Region where WorkSpaces copies images only within the Region, and the Regions that copy to and from other
# Regions only through AWS Support: https://docs.aws.amazon.com/workspaces/latest/adminguide/copy-custom-image.html
NINGXIA: Final = "cn-northwest-1"
GOVCLOUD_PREFIX: Final = "us-gov-"

# Every Region botocore's endpoint data knows, and those it lists a WorkSpaces endpoint in (regions.py).
KNOWN_REGIONS: Final = frozenset(r for p in PARTITIONS for r in p.regions)
WORKSPACES_REGIONS: Final = tuple(r for p in PARTITIONS for r in p.workspaces)


def partition_of(region: str) -> Optional[str]:
    """The partition of a Region, by botocore's lists and then its Region patterns; None for a name no partition's
    pattern matches. An image is never copied from one partition to another."""
    for partition in PARTITIONS:
        if region in partition.regions:
            return partition.name
    for partition in PARTITIONS:
        if re.match(partition.pattern, region):
            return partition.name
    return None


def region_name_problem(value: object, label: str) -> Optional[str]:
    """Whether `value` is spelled as a Region name; what a copy's Region must be even to be deleted there."""
    if not isinstance(value, str):
        return type_problem(label, value, "a Region name such as eu-west-1, as a string")
    if not _REGION.fullmatch(value):
        return f"{label} {value!r} must be a Region name such as eu-west-1"
    return None


def _closest(value: str, names: Iterable[str]) -> Optional[str]:
    found = difflib.get_close_matches(value, sorted(names), n=1, cutoff=0.75)
    return found[0] if found else None


def region_problem(value: object, label: str) -> Optional[str]:
    """A Region WorkSpaces is offered in: spelled as a Region, one that exists, and one with a WorkSpaces endpoint,
    each by botocore's endpoint data (regions.py), so that nothing is made for a call that can only fail."""
    wrong = region_name_problem(value, label)
    if wrong or not isinstance(value, str):
        return wrong
    source = f"botocore {BOTOCORE_VERSION}'s endpoint data"
    if value not in KNOWN_REGIONS:
        # A typo, most likely: the closest Region WorkSpaces is in, else the closest Region at all.
        guess = _closest(value, WORKSPACES_REGIONS) or _closest(value, KNOWN_REGIONS)
        hint = f"; did you mean {guess}?" if guess else ""
        return f"{label} {value!r} is no AWS Region ({source} knows none of that name){hint}"
    if value not in WORKSPACES_REGIONS:
        partition = partition_of(value)
        offered = _offered(str(partition))
        where = (
            f"choose one of the Regions of partition {partition} it is in: {', '.join(offered)}"
            if offered
            else f"it is in no Region of partition {partition}"
        )
        return (
            f"{label} {value!r}: Amazon WorkSpaces is not offered in Region {value} ({source} lists no WorkSpaces "
            f"endpoint there); {where}"
        )
    return None


def copy_route_problem(source_region: str, region: str, label: str) -> Optional[str]:
    """Whether WorkSpaces copies an image from `source_region` to `region` without AWS Support.

    Within a partition only: that a copy can't cross partitions is undocumented for WorkSpaces, but a partition is
    a group of Regions isolated from the others (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html),
    and CopyWorkspaceImage takes no credentials of another partition
    (https://docs.aws.amazon.com/workspaces/latest/api/API_CopyWorkspaceImage.html)."""
    if source_region == region:
        return None
    if partition_of(source_region) != partition_of(region):
        return (
            f"{label} {region!r}: it is in partition {partition_of(region)} and the image in {source_region} "
            f"({partition_of(source_region)}), and an image is never copied from one partition to another"
        )
    if NINGXIA in (source_region, region):
        return (
            f"{label} {region!r}: in the China (Ningxia) Region ({NINGXIA}) images can be copied only within the "
            "same Region"
        )
    if region.startswith(GOVCLOUD_PREFIX):
        return (
            f"{label} {region!r}: in AWS GovCloud (US) images are copied to and from other Regions only through "
            "AWS Support; ask them, and leave it out"
        )
    return None


COPY_TO_REGIONS_LABEL: Final = "copy_to_regions"


def copy_to_regions_problems(regions: object, *, own_region: object = UNKNOWN) -> list[str]:
    """copy_to_regions: other Regions of the stack's partition, each once; UNKNOWN (the list or a Region) is a
    token, and so is the stack's own Region in an environment-agnostic stack."""
    if regions is None or isinstance(regions, Unknown):
        return []
    label = COPY_TO_REGIONS_LABEL
    if isinstance(regions, (str, bytes)) or not isinstance(regions, Sequence):
        return [f"{label} {regions!r} must be a list of Region names such as eu-central-1"]
    problems: list[str] = []
    seen: set[str] = set()
    for region in regions:
        if isinstance(region, Unknown):
            continue
        wrong = region_problem(region, f"{label} Region")
        if wrong:
            problems.append(wrong)
        elif region in seen:
            problems.append(f"{label} names Region {region} more than once")
        elif isinstance(own_region, str) and region == own_region:
            problems.append(f"{label} names {region}, the stack's own Region, where the image is already")
        elif isinstance(own_region, str):
            problems += [p for p in [copy_route_problem(own_region, region, f"{label} Region")] if p]
        if isinstance(region, str):
            seen.add(region)
    if isinstance(own_region, Unknown) and not problems:
        problems += [p for p in [unplaceable_copies_problem([r for r in regions if isinstance(r, str)])] if p]
    return problems


def copy_sources(targets: Sequence[str]) -> tuple[str, ...]:
    """The Regions WorkSpaces is in from which an image is copied to every one of `targets` without AWS Support:
    where a stack whose Region synth does not know can make the image copy_to_regions copies."""
    return tuple(
        own
        for own in WORKSPACES_REGIONS
        if own not in targets and not any(copy_route_problem(own, target, "") for target in targets)
    )


def unplaceable_copies_problem(targets: Sequence[str]) -> Optional[str]:
    """copy_to_regions in a stack whose Region synth does not know (environment-agnostic): refused only when no
    Region WorkSpaces is in could make the image and copy it to every target, so that the deployment fails
    wherever it goes; the rest is judged at deploy, when the stack's Region is known."""
    if not targets or copy_sources(targets) or any(region_problem(t, "") for t in targets):
        return None
    partitions = sorted({str(partition_of(t)) for t in targets})
    if len(partitions) > 1:
        why = f"they are in partitions {', '.join(partitions)}, and an image is never copied from one to another"
    else:
        offered = _offered(partitions[0])
        candidates = [r for r in offered if r not in targets]
        if not candidates:
            why = f"in partition {partitions[0]} WorkSpaces is in {', '.join(offered)} only, leaving no other Region"
        else:
            # Every candidate is refused; the first one's refusal says why in the route's own words.
            why = next(
                str(problem)
                for target in targets
                for problem in [copy_route_problem(candidates[0], target, f"from {candidates[0]}, Region")]
                if problem
            )
    return (
        f"{COPY_TO_REGIONS_LABEL} {list(targets)!r}: no Region WorkSpaces is in can make the image and copy it "
        f"{'there' if len(targets) == 1 else 'to all of them'}, so this environment-agnostic stack would fail "
        f"wherever it is deployed ({why}); copy to Regions that one Region can reach, or give the stack its "
        "Region (env)"
    )


def _offered(partition: str) -> tuple[str, ...]:
    return next((p.workspaces for p in PARTITIONS if p.name == partition), ())


def copy_problems(
    *,
    source_image_id: object = UNKNOWN,
    source_region: object = UNKNOWN,
    region: object = UNKNOWN,
    image_name: object = UNKNOWN,
    description: object = UNKNOWN,
    tags: object = UNKNOWN,
    timeout_seconds: Union[float, Unknown] = UNKNOWN,
    keep_previous: object = UNKNOWN,
    source_account: object = None,
) -> list[str]:
    """The rules of CopyWorkspaceImage (https://docs.aws.amazon.com/workspaces/latest/api/API_CopyWorkspaceImage.html):
    Name, Description and Tags as for an updated image; UNKNOWN is skipped."""
    source_label = label_of("source_region", CopyProps.SOURCE_REGION)
    region_label = label_of("region", CopyProps.REGION)
    found: list[Optional[str]] = [
        # A source in the copy's own Region is judged once, as the Region.
        None
        if isinstance(source_region, Unknown) or source_region == region
        else region_problem(source_region, source_label),
        None if isinstance(region, Unknown) else region_problem(region, region_label),
    ]
    if not any(found) and isinstance(source_region, str) and isinstance(region, str):
        found.append(copy_route_problem(source_region, region, region_label))
    if source_account is not None and not isinstance(source_account, Unknown):
        account_label = label_of("source_account", CopyProps.SOURCE_ACCOUNT)
        if not isinstance(source_account, str) or not _ACCOUNT_ID.fullmatch(source_account):
            found.append(f"{account_label} {source_account!r} must be a 12-digit AWS account id, as a string")
    return [p for p in found if p] + image_problems(
        source_image_id=source_image_id,
        image_name=image_name,
        description=description,
        tags=tags,
        timeout_seconds=timeout_seconds,
        no_update_behavior=UNKNOWN,
        keep_previous=keep_previous,
    )


def bundle_image_problems(*, bundle_id: object = UNKNOWN, image_id: object = UNKNOWN) -> list[str]:
    """The rules of UpdateWorkspaceBundle, for apply_to_bundle."""
    found = [
        None if isinstance(bundle_id, Unknown) else bundle_id_problem(bundle_id),
        None if isinstance(image_id, Unknown) else image_id_problem(image_id, "image_id", "ImageId"),
    ]
    return [p for p in found if p]


# ---------------------------------------------------------------- images made from a WorkSpace, an AMI or Image Builder


def _enum_problem(label: str, value: object, choices: Sequence[str]) -> Optional[str]:
    if not isinstance(value, str) or value not in choices:
        return type_problem(label, value, f"one of {', '.join(choices)}")
    return None


def _id_problem(label: str, value: object, pattern: re.Pattern[str], shown: str) -> Optional[str]:
    if not isinstance(value, str):
        return type_problem(label, value, "a string")
    return _pattern(label, value, pattern, shown)


def made_image_problems(
    *,
    name_api: str,
    description_api: str,
    image_name: object = UNKNOWN,
    description: object = UNKNOWN,
    tags: object = UNKNOWN,
    timeout_seconds: Union[float, Unknown] = UNKNOWN,
    keep_previous: object = UNKNOWN,
    share_with_accounts: object = None,
    own_account: object = UNKNOWN,
) -> list[str]:
    """The rules every image type shares besides its source: the name, description and tags of the API, the wait,
    retention and sharing; UNKNOWN is skipped."""
    found = [
        None if isinstance(image_name, Unknown) else name_problem(image_name, api_name=name_api),
        None if isinstance(description, Unknown) else description_problem(description, api_name=description_api),
        None if isinstance(timeout_seconds, Unknown) else timeout_problem(timeout_seconds),
        None if isinstance(keep_previous, Unknown) else keep_previous_problem(keep_previous),
    ]
    shares = share_with_accounts_problems(share_with_accounts, own_account=own_account)
    return [p for p in found if p] + shares + tags_problems(tags)


WORKSPACE_ID_LABEL: Final = label_of("workspace_id", CapturedProps.WORKSPACE_ID)


def captured_problems(*, workspace_id: object = UNKNOWN) -> list[str]:
    """The rules of CreateWorkspaceImage (https://docs.aws.amazon.com/workspaces/latest/api/API_CreateWorkspaceImage.html)
    on what the image is made from; made_image_problems judges the rest."""
    found = (
        None
        if isinstance(workspace_id, Unknown)
        else _id_problem(WORKSPACE_ID_LABEL, workspace_id, _WORKSPACE_ID, "ws-[0-9a-z]{8,63}")
    )
    return [p for p in [found] if p]


EC2_IMAGE_ID_LABEL: Final = label_of("ec2_image_id", ImportedProps.EC2_IMAGE_ID)
INGESTION_PROCESS_LABEL: Final = label_of("ingestion_process", ImportedProps.INGESTION_PROCESS)
APPLICATIONS_LABEL: Final = label_of("applications", ImportedProps.APPLICATIONS)
_AMI_SHOWN = "ami-([a-f0-9]{8}|[a-f0-9]{17})"


def applications_problems(applications: object) -> list[str]:
    """Applications: "Although this parameter is an array, only one item is allowed at this time"
    (https://docs.aws.amazon.com/workspaces/latest/api/API_ImportWorkspaceImage.html); None: no Office."""
    if applications is None or isinstance(applications, Unknown):
        return []
    if isinstance(applications, (str, bytes)) or not isinstance(applications, Sequence):
        return [f"{APPLICATIONS_LABEL} {applications!r} must be a list of one of {', '.join(APPLICATIONS)}"]
    problems = [
        p
        for app in applications
        if not isinstance(app, Unknown)
        for p in [_enum_problem(f"{APPLICATIONS_LABEL} item", app, APPLICATIONS)]
        if p
    ]
    if len(applications) != 1:
        problems.append(
            f"{APPLICATIONS_LABEL} names {len(applications)} applications; ImportWorkspaceImage takes exactly one "
            "at this time: name one, or leave applications out for none"
        )
    return problems


def imported_problems(
    *,
    ec2_image_id: object = UNKNOWN,
    ingestion_process: object = UNKNOWN,
    applications: object = None,
) -> list[str]:
    """The rules of ImportWorkspaceImage (https://docs.aws.amazon.com/workspaces/latest/api/API_ImportWorkspaceImage.html)
    on what the image is made from; made_image_problems judges the rest."""
    found = [
        None
        if isinstance(ec2_image_id, Unknown)
        else _id_problem(EC2_IMAGE_ID_LABEL, ec2_image_id, _AMI_ID, _AMI_SHOWN),
        None
        if isinstance(ingestion_process, Unknown)
        else _enum_problem(INGESTION_PROCESS_LABEL, ingestion_process, INGESTION_PROCESSES),
    ]
    return [p for p in found if p] + applications_problems(applications)


_SOURCE_NAMES: Final = {
    ImageBuilderProps.IMAGE_BUILD_VERSION_ARN: "image_build_version_arn",
    ImageBuilderProps.EC2_IMAGE_ID: "ec2_image_id",
    ImageBuilderProps.EC2_IMPORT_TASK_ID: "ec2_import_task_id",
}


def image_source_label(key: str) -> str:
    """How a reason names one source of ImportCustomWorkspaceImage."""
    return label_of(_SOURCE_NAMES[key], f"{ImageBuilderProps.IMAGE_SOURCE}.{key}")


_SOURCE_RULES: Final = {
    ImageBuilderProps.IMAGE_BUILD_VERSION_ARN: (
        _IMAGE_BUILD_VERSION_ARN,
        "arn:aws[^:]*:imagebuilder:<region>:<account>:image/<name>/<version>[/<build>]",
    ),
    ImageBuilderProps.EC2_IMAGE_ID: (_AMI_ID, _AMI_SHOWN),
    ImageBuilderProps.EC2_IMPORT_TASK_ID: (_IMPORT_TASK_ID, "import-ami-([a-zA-Z0-9]{8}|[a-zA-Z0-9]{17})"),
}
_OS_LABEL: Final = label_of("os_version", ImageBuilderProps.OS_VERSION)
_PROTOCOL_LABEL: Final = label_of("protocol", ImageBuilderProps.PROTOCOL)


def image_source_problems(sources: object) -> list[str]:
    """ImageSource: exactly one of its keys, each in its pattern; `sources` maps the keys given to their values
    (a value UNKNOWN is a token), or is UNKNOWN as a whole."""
    if isinstance(sources, Unknown):
        return []
    if not isinstance(sources, Mapping):
        return [f"{ImageBuilderProps.IMAGE_SOURCE} {sources!r} must be an object with one key"]
    given = [k for k, v in sources.items() if v is not None]
    problems = [p for p in [unknown_keys_problem(ImageBuilderProps.IMAGE_SOURCE, sources, IMAGE_SOURCE_KEYS)] if p]
    choices = " or ".join(image_source_label(k) for k in IMAGE_SOURCE_KEYS)
    known = [k for k in given if k in _SOURCE_RULES]
    if len(known) != 1:
        named = ", ".join(image_source_label(k) for k in known) or "none"
        problems.append(f"give exactly one image source, {choices}; given: {named}")
    for key in known:
        value = sources[key]
        if not isinstance(value, Unknown):
            pattern, shown = _SOURCE_RULES[key]
            problems += [p for p in [_id_problem(image_source_label(key), value, pattern, shown)] if p]
    return problems


def image_builder_problems(
    *,
    image_source: object = UNKNOWN,
    infrastructure_configuration_arn: object = UNKNOWN,
    os_version: object = UNKNOWN,
    protocol: object = UNKNOWN,
    compute_type: object = UNKNOWN,
    image_validation_mode: object = None,
) -> list[str]:
    """The rules of ImportCustomWorkspaceImage
    (https://docs.aws.amazon.com/workspaces/latest/api/API_ImportCustomWorkspaceImage.html), and the combination it
    documents as invalid: "Windows 11 does not support PCOIP protocol"; made_image_problems judges the rest."""
    arn_label = label_of("infrastructure_configuration_arn", ImageBuilderProps.INFRASTRUCTURE_CONFIGURATION_ARN)
    found = [
        None
        if isinstance(infrastructure_configuration_arn, Unknown)
        else _id_problem(
            arn_label,
            infrastructure_configuration_arn,
            _INFRASTRUCTURE_CONFIGURATION_ARN,
            "arn:aws[^:]*:imagebuilder:<region>:<account>:infrastructure-configuration/[a-z0-9-_]+",
        ),
        None if isinstance(os_version, Unknown) else _enum_problem(_OS_LABEL, os_version, OS_VERSIONS),
        None if isinstance(protocol, Unknown) else _enum_problem(_PROTOCOL_LABEL, protocol, PROTOCOLS),
        None
        if isinstance(compute_type, Unknown)
        else _enum_problem(label_of("compute_type", ImageBuilderProps.COMPUTE_TYPE), compute_type, IMAGE_COMPUTE_TYPES),
        None
        if image_validation_mode is None or isinstance(image_validation_mode, Unknown)
        else _enum_problem(
            label_of("image_validation_mode", ImageBuilderProps.IMAGE_VALIDATION_MODE),
            image_validation_mode,
            IMAGE_VALIDATION_MODES,
        ),
    ]
    if os_version == "Windows_11" and protocol == "PCOIP":
        found.append(
            f"{_PROTOCOL_LABEL} 'PCOIP' can't stream {_OS_LABEL} 'Windows_11' (\"Windows 11 does not support PCOIP "
            'protocol", ImportCustomWorkspaceImage); choose DCV or BYOP'
        )
    return image_source_problems(image_source) + [p for p in found if p]
