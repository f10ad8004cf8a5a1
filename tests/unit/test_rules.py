"""The input rules, from the CreateUpdatedWorkspaceImage API reference and the WorkSpaces tag limits."""

from __future__ import annotations

from typing import Any

import pytest

from cdk_workspaces_image_handler import contract, rules


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"source_image_id": "wsi-12345678"}, "source_image_id (SourceImageId) 'wsi-12345678' must match the pattern"),
        ({"source_image_id": "wsi-ABCDEFGHIJ"}, "must match the pattern wsi-[0-9a-z]{9,63}"),
        ({"image_name": "n" * 65}, "image_name (Name) '" + "n" * 65 + "' is 65 characters long; it must be 1 to 64"),
        ({"image_name": "golden image"}, "image_name (Name) 'golden image' must match the pattern"),
        ({"description": "d" * 257}, "description (Description)"),
        ({"description": "no: colons"}, "description (Description) 'no: colons' must match the pattern"),
        ({"timeout_seconds": 600}, "timeout (TimeoutSeconds) 600 s is out of range; it must be 900 s"),
        ({"timeout_seconds": 43201}, "12 hours"),
        (
            {"no_update_behavior": "SKIP"},
            "no_update_behavior (NoUpdateBehavior) 'SKIP' must be one of FAIL, USE_SOURCE",
        ),
        ({"tags": {"aws:cost": "1"}}, "tags (Tags) key 'aws:cost' starts with 'aws:'"),
        ({"tags": {"k" * 128: "1"}}, "is 128 characters long; it must be 1 to 127"),
        ({"tags": {"": "1"}}, "tags (Tags) key '' is 0 characters long"),
        ({"tags": {"k": "v" * 256}}, "tags (Tags) value of 'k' is 256 characters long; it must be at most 255"),
        ({"tags": {f"k{i}": "v" for i in range(50)}}, "tags (Tags) has 50 tags; at most 49 are allowed"),
        ({"tags": {contract.OWNER_TAG_KEY: "x"}}, "is reserved for the ownership tag"),
    ],
)
def test_each_rule_names_property_value_and_rule(kwargs: dict[str, object], words: str) -> None:
    problems = rules.image_problems(**kwargs)  # type: ignore[arg-type]
    assert len(problems) == 1
    assert words in problems[0]


def test_values_at_the_limits_pass() -> None:
    assert (
        rules.image_problems(
            source_image_id="wsi-" + "a" * 63,
            image_name="n" * 64,
            description="d" * 256,
            tags={f"{i:02d}" + "k" * 125: "v" * 255 for i in range(rules.MAX_USER_TAGS)},
            timeout_seconds=43200,
            no_update_behavior="USE_SOURCE",
        )
        == []
    )


def test_unknown_values_are_not_judged() -> None:
    assert rules.image_problems(tags={"team": rules.UNKNOWN}) == []
    assert rules.image_problems(source_image_id=rules.UNKNOWN, tags=rules.UNKNOWN) == []
    assert rules.storage_problems(rules.UNKNOWN, 80) == []
    assert rules.storage_problems(60, rules.UNKNOWN) == []


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        # None was "not known yet", so a missing value broke no rule and the property was left out of the template.
        ({"source_image_id": None}, "source_image_id (SourceImageId) is missing (None); it is required"),
        ({"image_name": None}, "image_name (Name) is missing (None); it is required"),
        ({"description": None}, "description (Description) is missing (None); it is required"),
        ({"image_name": 2026}, "image_name (Name) 2026 must be a string"),
        ({"description": ["Golden"]}, "description (Description) ['Golden'] must be a string"),
        ({"source_image_id": {"Ref": "Source"}}, "source_image_id (SourceImageId) {'Ref': 'Source'} must be a string"),
        ({"tags": "team=euc"}, "tags (Tags) 'team=euc' must be a mapping of tag keys to values"),
        ({"tags": {"team": None}}, "tags (Tags) value of 'team' None must be a string"),
        ({"tags": {"cost-center": 42}}, "tags (Tags) value of 'cost-center' 42 must be a string"),
        ({"tags": {42: "x"}}, "tags (Tags) key 42 must be a string"),
        ({"no_update_behavior": None}, "no_update_behavior (NoUpdateBehavior) None must be one of FAIL, USE_SOURCE"),
    ],
)
def test_none_and_wrong_types_break_a_rule_in_words_naming_property_and_value(
    kwargs: dict[str, object], words: str
) -> None:
    assert rules.image_problems(**kwargs) == [words]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"bundle_name": None}, "bundle_name (BundleName) is missing (None); it is required"),
        ({"description": None}, "description (BundleDescription) is missing (None); it is required"),
        ({"image_id": None}, "image_id (ImageId) is missing (None); it is required"),
        ({"compute_type": None}, "compute_type (ComputeType.Name) is missing (None); it is required"),
        ({"image_id": 7}, "image_id (ImageId) 7 must be a string"),
    ],
)
def test_none_and_wrong_types_break_a_bundle_rule(kwargs: dict[str, object], words: str) -> None:
    assert rules.bundle_problems(**kwargs) == [words]


def test_none_and_wrong_types_break_the_rules_of_apply_to_bundle() -> None:
    assert rules.bundle_image_problems(bundle_id=None, image_id=5) == [
        "bundle_id (BundleId) is missing (None); it is required",
        "image_id (ImageId) 5 must be a string",
    ]


@pytest.mark.parametrize(
    ("user", "root", "words"),
    [
        (None, 80, "user_storage_gib (UserStorage.Capacity) is missing (None); it is required"),
        (float("nan"), None, "user_storage_gib (UserStorage.Capacity) nan must be a whole number of GB"),
        (50, float("inf"), "root_storage_gib (RootStorage.Capacity) inf must be a whole number of GB"),
        (True, None, "user_storage_gib (UserStorage.Capacity) True must be a whole number of GB"),
        ([50], None, "user_storage_gib (UserStorage.Capacity) [50] must be a whole number of GB"),
    ],
)
def test_missing_and_not_numeric_volume_sizes_name_the_rule(user: object, root: object, words: str) -> None:
    assert rules.storage_problems(user, root) == [words]


def test_snapshot_is_no_removal_policy_of_a_custom_resource() -> None:
    assert [rules.removal_policy_problem(name) for name in rules.REMOVAL_POLICIES] == [None, None, None]
    problem = rules.removal_policy_problem("SNAPSHOT")
    assert problem is not None
    assert problem.startswith(
        "removal_policy (DeletionPolicy) RemovalPolicy.SNAPSHOT must be one of "
        "RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, RemovalPolicy.RETAIN, RemovalPolicy.DESTROY: "
    )
    assert "(cfn-lint E3035, E3036)" in problem


@pytest.mark.parametrize(
    ("resource_type", "given", "words"),
    [
        (
            contract.IMAGE_TYPE,
            ["ServiceToken", "ServiceTimeout", "SourceImageId", "Timeout"],
            "remove or rename the property 'Timeout', which Custom::UpdatedWorkspaceImage does not take; it takes "
            "SourceImageId, Name, Description, TimeoutSeconds, NoUpdateBehavior, WaitHandle, KeepPrevious, "
            "ShareWithAccounts, Tags, and "
            "CloudFormation's ServiceToken and ServiceTimeout",
        ),
        (
            contract.BUNDLE_TYPE,
            ["Name", "RootStorage", "Description"],
            "remove or rename the properties 'Name', 'Description', which Custom::WorkspaceBundle does not take; "
            "it takes BundleName, BundleDescription, ImageId, ComputeType, UserStorage, RootStorage, Tags, and",
        ),
        (
            contract.BUNDLE_IMAGE_TYPE,
            ["BundleId", "ImageId", "RestoreOnDelete"],
            "remove or rename the property 'RestoreOnDelete', which Custom::WorkspaceBundleImage does not take; "
            "it takes BundleId, ImageId, and",
        ),
    ],
)
def test_unknown_properties_are_named_with_those_the_type_takes(
    resource_type: str, given: list[str], words: str
) -> None:
    problem = rules.unknown_properties_problem(resource_type, given)
    assert problem is not None
    assert problem.startswith(words)


def test_the_properties_cloudformation_adds_and_the_types_own_are_known() -> None:
    for resource_type, takes in contract.PROPERTIES.items():
        assert rules.unknown_properties_problem(resource_type, [*takes, *contract.CLOUDFORMATION_PROPERTIES]) is None


# ---------------------------------------------------------------- keep_previous and generation (issue 11)


@pytest.mark.parametrize("value", [None, 0, 1, 12, 2.0, "0", "3", " 3 "])
def test_keep_previous_is_a_whole_number_of_images_or_absent(value: object) -> None:
    # Synth passes a number; CloudFormation hands the handler every property value as a string.
    assert rules.keep_previous_problem(value) is None
    assert rules.image_problems(keep_previous=value) == []


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (-1, "-1"),
        (1.5, "1.5"),
        (True, "True"),
        # A Number parameter reaches the handler as a string: shown as the number synth shows for the literal.
        ("-1", "-1"),
        ("1.5", "1.5"),
        ("-1.0", "-1"),
        ("one", "'one'"),
        ("", "''"),
        ("nan", "'nan'"),
        ([1], "[1]"),
        (float("nan"), "nan"),
    ],
)
def test_keep_previous_names_property_value_and_rule(value: object, shown: str) -> None:
    words = f"keep_previous (KeepPrevious) {shown} must be a whole number of images, 0 or more"
    assert rules.keep_previous_problem(value) == words
    assert rules.image_problems(keep_previous=value) == [words]


@pytest.mark.parametrize(("literal", "passed"), [(-1, "-1"), (1.5, "1.5"), (50.5, "50.5"), (-2.25, "-2.25")])
def test_a_number_reads_the_same_whether_synth_has_it_or_cloudformation_passed_it(literal: float, passed: str) -> None:
    assert rules.number_shown(passed) == rules.number_shown(literal) == repr(literal)
    assert rules.keep_previous_problem(passed) == rules.keep_previous_problem(literal)
    assert rules.storage_problems(passed, None) == rules.storage_problems(literal, None)


@pytest.mark.parametrize("seconds", [900.5, 3600.25, 43199.9])
def test_a_timeout_is_whole_seconds(seconds: float) -> None:
    assert rules.timeout_problem(seconds) == f"timeout (TimeoutSeconds) {seconds:g} s must be a whole number of seconds"
    assert rules.timeout_problem(float(int(seconds))) is None


def test_keep_previous_unknown_yet_is_not_judged() -> None:
    assert rules.image_problems(keep_previous=rules.UNKNOWN) == []


@pytest.mark.parametrize(
    ("image_name", "generation"),
    [("golden", None), ("golden-{generation}", 1), ("g{generation}-{generation}", 40), (None, None), (7, 2)],
)
def test_generation_and_image_name_that_fit(image_name: object, generation: object) -> None:
    # A name that is no string is the name rule's to refuse, not the generation rule's.
    assert rules.generation_problems(image_name, generation) == []


@pytest.mark.parametrize(
    ("image_name", "generation", "words"),
    [
        (
            "golden-{generation}",
            None,
            "image_name (Name) 'golden-{generation}' holds {generation} but generation is not set; set generation, "
            "or take {generation} out of image_name",
        ),
        ("golden", 2, "image_name (Name) 'golden' must hold {generation} when generation is set, so that each"),
        ("golden-{generation}", 0, "generation 0 must be a whole number, 1 or more"),
        ("golden-{generation}", True, "generation True must be a whole number, 1 or more"),
        ("golden-{generation}", "2", "generation '2' must be a whole number, 1 or more"),
        ("golden-{generation}", 2.0, "generation 2.0 must be a whole number, 1 or more"),
    ],
)
def test_generation_rules_name_what_to_fix(image_name: object, generation: object, words: str) -> None:
    problems = rules.generation_problems(image_name, generation)
    assert len(problems) == 1
    assert problems[0].startswith(words)


def test_each_generation_fills_in_its_own_name() -> None:
    assert rules.generation_name("golden-{generation}", 3) == "golden-3"
    assert rules.generation_name("g{generation}/{generation}", 12) == "g12/12"
    assert rules.generation_name("golden", None) == "golden"


def test_the_handler_always_speaks_before_the_wait_condition_times_out() -> None:
    for timeout in (900, 10800, 42600, 43200):
        assert rules.wait_condition_timeout(timeout) <= 43200
        assert rules.wait_condition_timeout(timeout) - rules.handler_wait_seconds(timeout) == 600


# ---------------------------------------------------------------- bundles


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (
            {"bundle_name": "n" * 65},
            "bundle_name (BundleName) '" + "n" * 65 + "' is 65 characters long; it must be 1 to 64",
        ),
        ({"bundle_name": "golden bundle"}, "bundle_name (BundleName) 'golden bundle' must match the pattern"),
        ({"description": "d" * 256}, "description (BundleDescription) '" + "d" * 256 + "' is 256 characters long; it"),
        ({"description": "a;b"}, "description (BundleDescription) 'a;b' must match the pattern [a-zA-Z0-9_./() -]+"),
        ({"image_id": "ami-0123456789"}, "image_id (ImageId) 'ami-0123456789' must match the pattern wsi-"),
        ({"compute_type": "HUGE"}, "compute_type (ComputeType.Name) 'HUGE' must be one of VALUE, STANDARD, "),
        ({"tags": {f"k{i}": "v" for i in range(50)}}, "at most 49 are allowed, because a WorkSpaces image or bundle"),
        (
            {"tags": {contract.APPLIED_TAG_KEY: "x"}},
            "is reserved for the tag apply_to_bundle sets on a bundle it re-points",
        ),
    ],
)
def test_each_bundle_rule_names_property_value_and_rule(kwargs: dict[str, object], words: str) -> None:
    problems = rules.bundle_problems(**kwargs)
    assert len(problems) == 1
    assert words in problems[0]


def test_bundle_values_at_the_limits_pass() -> None:
    assert (
        rules.bundle_problems(
            bundle_name="n" * 64, description="d" * 255, image_id="wsi-" + "a" * 9, compute_type="GRAPHICS_G7_12XLARGE"
        )
        == []
    )


def test_compute_types_are_the_api_enum() -> None:
    import botocore.session

    compute: Any = botocore.session.get_session().get_service_model("workspaces").shape_for("Compute")
    assert tuple(compute.enum) == rules.COMPUTE_TYPES


@pytest.mark.parametrize(
    ("user", "root"),
    [(10, 80), (50, 80), (100, 80), ("50", "80"), (100, 175), (2000, 2000), (100, None), (10, None), (1000, None)],
)
def test_documented_volume_pairs_pass(user: int | str, root: int | str | None) -> None:
    assert rules.storage_problems(user, root) == []


@pytest.mark.parametrize(
    ("user", "root", "words"),
    [
        (20, 80, "user_storage_gib (UserStorage.Capacity) 20 with root_storage_gib (RootStorage.Capacity) 80 is not"),
        (50, 175, "50 with root_storage_gib (RootStorage.Capacity) 175 is not a documented pair"),
        (100, 100, "100 with root_storage_gib (RootStorage.Capacity) 100 is not a documented pair"),
        (2001, 2000, "2001 with root_storage_gib (RootStorage.Capacity) 2000"),
        (60, None, "user_storage_gib (UserStorage.Capacity) 60 is in no documented pair of volume sizes"),
        ("lots", 80, "user_storage_gib (UserStorage.Capacity) 'lots' must be a whole number of GB"),
        (50.5, None, "user_storage_gib (UserStorage.Capacity) 50.5 must be a whole number of GB"),
        (50, "eighty", "root_storage_gib (RootStorage.Capacity) 'eighty' must be a whole number of GB"),
    ],
)
def test_volume_sizes_outside_the_documented_pairs_name_the_rule(user: object, root: object, words: str) -> None:
    problems = rules.storage_problems(user, root)
    assert len(problems) == 1
    assert words in problems[0]
    if "pair" in words:
        assert problems[0].endswith(
            "WorkSpaces takes root 80 with user 10, 50 or 100, or root 175 to 2000 with user 100 to 2000 (GB)"
        )


def test_bundle_ids_for_apply_to_bundle() -> None:
    assert rules.bundle_image_problems(bundle_id="wsb-01234567", image_id="wsi-012345678") == []
    assert rules.bundle_image_problems(bundle_id="wsb-0123") == [
        "bundle_id (BundleId) 'wsb-0123' must match the pattern wsb-[0-9a-z]{8,63}"
    ]


# ---------------------------------------------------------------- share_with_accounts (issue 12)

SHARE = "share_with_accounts (ShareWithAccounts)"


@pytest.mark.parametrize("value", [None, [], ["111122223333"], ["111122223333", "444455556666"]])
def test_share_with_accounts_takes_other_accounts_by_id(value: object) -> None:
    assert rules.share_with_accounts_problems(value, own_account="123456789012") == []
    assert rules.image_problems(share_with_accounts=value, own_account="123456789012") == []


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("111122223333", f"{SHARE} '111122223333' must be a list of 12-digit AWS account ids"),
        (["11112222333"], f"{SHARE} names '11112222333'; each must be a 12-digit AWS account id, as a string"),
        ([111122223333], f"{SHARE} names 111122223333; each must be a 12-digit AWS account id, as a string"),
        (["1111-2222-3333"], f"{SHARE} names '1111-2222-3333'; each must be a 12-digit AWS account id, as a string"),
        (["111122223333", "111122223333"], f"{SHARE} names account 111122223333 more than once"),
        (
            ["123456789012"],
            f"{SHARE} names 123456789012, the stack's own account; an image is shared with other accounts",
        ),
    ],
)
def test_share_with_accounts_names_property_value_and_rule(value: object, words: str) -> None:
    assert rules.share_with_accounts_problems(value, own_account="123456789012") == [words]
    assert rules.image_problems(share_with_accounts=value, own_account="123456789012") == [words]


def test_share_with_accounts_needs_an_image_this_resource_makes() -> None:
    (problem,) = rules.image_problems(share_with_accounts=["111122223333"], no_update_behavior="USE_SOURCE")
    assert problem.startswith(f"{SHARE} needs no_update_behavior (NoUpdateBehavior) FAIL")
    assert "share the source yourself, or set no_update_behavior to FAIL" in problem
    assert rules.image_problems(share_with_accounts=[], no_update_behavior="USE_SOURCE") == []


def test_share_with_accounts_unknown_yet_is_not_judged() -> None:
    assert rules.share_with_accounts_problems(rules.UNKNOWN) == []
    assert rules.share_with_accounts_problems([rules.UNKNOWN, "111122223333"]) == []
    # The stack's account unknown at synth (an environment-agnostic stack): the handler judges it.
    assert rules.share_with_accounts_problems(["123456789012"]) == []


# ---------------------------------------------------------------- copies (issue 12)


def test_copy_to_regions_takes_other_regions_of_the_partition_once_each() -> None:
    assert rules.copy_to_regions_problems(["eu-central-1", "us-east-1"], own_region="eu-west-1") == []
    assert rules.copy_to_regions_problems(None) == []
    assert rules.copy_to_regions_problems(rules.UNKNOWN) == []
    assert rules.copy_to_regions_problems([rules.UNKNOWN, "eu-west-1"]) == [], "own Region unknown: judged later"


@pytest.mark.parametrize(
    ("regions", "own", "words"),
    [
        ("eu-central-1", "eu-west-1", "copy_to_regions 'eu-central-1' must be a list of Region names"),
        (["Frankfurt"], "eu-west-1", "copy_to_regions Region 'Frankfurt' must be a Region name such as eu-west-1"),
        (["eu-central-1", "eu-central-1"], "eu-west-1", "copy_to_regions names Region eu-central-1 more than once"),
        (["eu-west-1"], "eu-west-1", "copy_to_regions names eu-west-1, the stack's own Region, where the image is"),
        (
            ["cn-northwest-1"],
            "eu-west-1",
            "copy_to_regions Region 'cn-northwest-1': it is in partition aws-cn and the image",
        ),
        (
            ["cn-north-1"],
            "cn-northwest-1",
            "copy_to_regions Region 'cn-north-1': Amazon WorkSpaces is not offered in Region cn-north-1",
        ),
        (["us-gov-east-1"], "us-gov-west-1", "in AWS GovCloud (US) images are copied to and from other Regions only"),
    ],
)
def test_copy_to_regions_names_the_region_and_the_rule(regions: object, own: str, words: str) -> None:
    (problem,) = rules.copy_to_regions_problems(regions, own_region=own)
    assert words in problem


def test_a_copy_is_judged_by_the_image_rules_and_its_route() -> None:
    good: dict[str, Any] = {"source_image_id": "wsi-abcdefghi", "image_name": "golden", "description": "Golden"}
    good["tags"] = {}
    assert rules.copy_problems(source_region="eu-west-1", region="eu-central-1", **good) == []
    (route,) = rules.copy_problems(source_region="us-gov-west-1", region="us-gov-east-1", **good)
    assert route.startswith("region (Region) 'us-gov-east-1': in AWS GovCloud (US) images are copied")
    (where,) = rules.copy_problems(source_region="Ireland", region="eu-central-1", **good)
    assert where == "source_region (SourceRegion) 'Ireland' must be a Region name such as eu-west-1"
    (name,) = rules.copy_problems(source_region="eu-west-1", region="eu-central-1", **{**good, "image_name": ""})
    assert name.startswith("image_name (Name) '' is 0 characters long")


# ---------------------------------------------------------------- Regions, by botocore's endpoint data (regions.py)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("eu-central-3", "'eu-central-3' is no AWS Region (botocore "),
        ("eu-central-3", "knows none of that name); did you mean eu-central-1?"),
        ("us-east-7", "did you mean us-east-2?"),
        ("ap-southeast-7", "'ap-southeast-7': Amazon WorkSpaces is not offered in Region ap-southeast-7"),
        ("cn-north-1", "choose one of the Regions of partition aws-cn it is in: cn-northwest-1"),
        ("eu-isoe-west-1", "lists no WorkSpaces endpoint there); it is in no Region of partition aws-iso-e"),
        ("Frankfurt", "'Frankfurt' must be a Region name such as eu-west-1"),
    ],
)
def test_a_region_must_exist_and_have_workspaces(value: str, words: str) -> None:
    problem = rules.region_problem(value, "region (Region)")
    assert problem is not None
    assert problem.startswith(f"region (Region) {value!r}")
    assert words in problem


def test_a_region_far_from_any_name_gets_no_guess() -> None:
    problem = rules.region_problem("xx-nowhere-1", "region (Region)")
    assert problem is not None
    assert problem.endswith("knows none of that name)")


def test_every_region_workspaces_is_in_passes() -> None:
    assert [r for r in rules.WORKSPACES_REGIONS if rules.region_problem(r, "r")] == []
    assert {"eu-west-1", "cn-northwest-1", "us-gov-west-1"} <= set(rules.WORKSPACES_REGIONS)


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("eu-west-1", "aws"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-east-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("eu-isoe-west-1", "aws-iso-e"),
        ("ap-southeast-9", "aws"),  # not yet in botocore's data: by its partition's pattern
        ("xx-nowhere-1", None),
    ],
)
def test_partition_of_follows_botocores_partitions(region: str, partition: str | None) -> None:
    assert rules.partition_of(region) == partition


def test_a_copy_between_the_commercial_and_an_isolated_partition_is_refused() -> None:
    problem = rules.copy_route_problem("us-east-1", "us-iso-east-1", "region (Region)")
    assert problem == (
        "region (Region) 'us-iso-east-1': it is in partition aws-iso and the image in us-east-1 (aws), and an image "
        "is never copied from one partition to another"
    )


def test_ningxia_copies_only_within_itself() -> None:
    problem = rules.copy_route_problem("cn-northwest-1", "cn-north-1", "region (Region)")
    assert problem is not None
    assert "in the China (Ningxia) Region (cn-northwest-1) images can be copied only" in problem


def test_a_source_in_the_copys_own_region_is_judged_once() -> None:
    good: dict[str, Any] = {"source_image_id": "wsi-abcdefghi", "image_name": "golden", "description": "Golden"}
    (problem,) = rules.copy_problems(source_region="ap-southeast-7", region="ap-southeast-7", tags={}, **good)
    assert problem.startswith("region (Region) 'ap-southeast-7': Amazon WorkSpaces is not offered")


@pytest.mark.parametrize(
    ("targets", "placeable"),
    [
        (["eu-central-1"], True),
        (["eu-central-1", "us-east-1"], True),
        (["us-iso-east-1"], True),  # from us-iso-west-1
        (["cn-northwest-1"], False),  # the only WorkSpaces Region of aws-cn
        (["us-isob-east-1"], False),  # the only WorkSpaces Region of aws-iso-b
        (["us-gov-west-1"], False),  # GovCloud copies between Regions through AWS Support only
        (["eu-central-1", "cn-northwest-1"], False),  # two partitions
        (["eu-central-1", "us-iso-east-1"], False),
    ],
)
def test_agnostic_copies_are_refused_only_when_no_region_could_make_them(targets: list[str], placeable: bool) -> None:
    assert bool(rules.copy_sources(targets)) is placeable
    problems = rules.copy_to_regions_problems(targets)  # own Region UNKNOWN
    assert (problems == []) is placeable
    if not placeable:
        assert problems[0].startswith(f"copy_to_regions {targets!r}: no Region WorkSpaces is in can make the image")


def test_an_agnostic_copy_to_a_region_without_workspaces_is_named_by_that_rule_alone() -> None:
    (problem,) = rules.copy_to_regions_problems(["eu-central-1", "cn-north-1"])
    assert problem.startswith("copy_to_regions Region 'cn-north-1': Amazon WorkSpaces is not offered")


@pytest.mark.parametrize("seconds", [1000.5, 3600.25])
def test_a_timeout_is_a_whole_number_of_seconds(seconds: float) -> None:
    assert rules.timeout_problem(seconds) == f"timeout (TimeoutSeconds) {seconds:g} s must be a whole number of seconds"
    assert rules.timeout_problem(3600.0) is None
