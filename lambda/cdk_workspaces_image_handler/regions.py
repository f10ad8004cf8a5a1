"""The AWS Regions of each partition, and those with a WorkSpaces endpoint: data for the input rules.

Generated from botocore 1.44.8's endpoint data (``botocore/data/endpoints.json``: each partition's Regions and
the ``workspaces`` service's endpoints; ``botocore/data/partitions.json``: each partition's Region pattern) by
tests/unit/test_regions_data.py, which fails when the installed botocore's data differs. Do not edit it by hand:
after a botocore update, regenerate it with ``UPDATE_SNAPSHOTS=1 pytest -n 0 tests/unit/test_regions_data.py``.

Stdlib only, no botocore: the constructs import it too (through rules.py).
"""

from __future__ import annotations

from typing import Final, NamedTuple


class Partition(NamedTuple):
    """A partition: its name, the pattern of its Region names, its Regions, and those WorkSpaces is offered in."""

    name: str
    pattern: str
    regions: tuple[str, ...]
    workspaces: tuple[str, ...]


BOTOCORE_VERSION: Final = "1.44.8"

PARTITIONS: Final = (
    Partition(
        "aws",
        "^(us|eu|ap|sa|ca|me|af|il|mx)\\-\\w+\\-\\d+$",
        regions=(
            "af-south-1",
            "ap-east-1",
            "ap-east-2",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-south-1",
            "ap-south-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-6",
            "ap-southeast-7",
            "ca-central-1",
            "ca-west-1",
            "eu-central-1",
            "eu-central-2",
            "eu-north-1",
            "eu-south-1",
            "eu-south-2",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "il-central-1",
            "me-central-1",
            "me-south-1",
            "mx-central-1",
            "sa-east-1",
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
        ),
        workspaces=(
            "af-south-1",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-south-1",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-southeast-5",
            "ca-central-1",
            "eu-central-1",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "il-central-1",
            "sa-east-1",
            "us-east-1",
            "us-east-2",
            "us-west-2",
        ),
    ),
    Partition(
        "aws-cn",
        "^cn\\-\\w+\\-\\d+$",
        regions=("cn-north-1", "cn-northwest-1"),
        workspaces=("cn-northwest-1",),
    ),
    Partition(
        "aws-us-gov",
        "^us\\-gov\\-\\w+\\-\\d+$",
        regions=("us-gov-east-1", "us-gov-west-1"),
        workspaces=("us-gov-east-1", "us-gov-west-1"),
    ),
    Partition(
        "aws-iso",
        "^us\\-iso\\-\\w+\\-\\d+$",
        regions=("us-iso-east-1", "us-iso-west-1"),
        workspaces=("us-iso-east-1", "us-iso-west-1"),
    ),
    Partition(
        "aws-iso-b",
        "^us\\-isob\\-\\w+\\-\\d+$",
        regions=("us-isob-east-1", "us-isob-west-1"),
        workspaces=("us-isob-east-1",),
    ),
    Partition(
        "aws-iso-e",
        "^eu\\-isoe\\-\\w+\\-\\d+$",
        regions=("eu-isoe-west-1",),
        workspaces=(),
    ),
    Partition(
        "aws-iso-f",
        "^us\\-isof\\-\\w+\\-\\d+$",
        regions=("us-isof-east-1", "us-isof-south-1"),
        workspaces=(),
    ),
    Partition(
        "aws-eusc",
        "^eusc\\-(de)\\-\\w+\\-\\d+$",
        regions=("eusc-de-east-1",),
        workspaces=(),
    ),
)
