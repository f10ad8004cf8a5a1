"""The input rules, from the CreateUpdatedWorkspaceImage API reference and the WorkSpaces tag limits."""

from __future__ import annotations

import pytest
import rules


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
        ({"tags": {rules.OWNER_TAG_KEY: "x"}}, "is reserved for the ownership tag"),
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
    assert rules.image_problems(tags={"team": None}) == []


def test_the_handler_always_speaks_before_the_wait_condition_times_out() -> None:
    for timeout in (900, 10800, 42600, 43200):
        assert rules.wait_condition_timeout(timeout) <= 43200
        assert rules.wait_condition_timeout(timeout) - rules.handler_wait_seconds(timeout) == 600
