"""Smoke test of the benchmarks: every code path on tiny inputs, one repetition. Counts and structure only:
no assertion here depends on how fast anything ran."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import asset, report, synth, waiting
from benchmarks.stats import Row, Spread, ratios, table

TWO = 2


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[synth.SynthRuns, Path]:
    workdir = tmp_path_factory.mktemp("bench")
    apps = [synth.EMPTY, synth.LIBRARY.with_images(TWO), synth.PEER.with_images(TWO)]
    return synth.measure(apps, reps=1, workdir=workdir), workdir


def test_each_app_ran_once_in_a_fresh_process(synthesized: tuple[synth.SynthRuns, Path]) -> None:
    runs, _ = synthesized
    assert sorted(runs.times) == sorted(runs.cpu) == ["empty", "lib2", "peer2"]
    assert all(len(times) == 1 for times in [*runs.times.values(), *runs.cpu.values()])


def test_footprint_counts_the_provider_once_and_three_resources_per_image(
    synthesized: tuple[synth.SynthRuns, Path],
) -> None:
    runs, _ = synthesized
    empty = synth.footprint(synth.template(runs.outdirs["empty"], "Bench").get("Resources", {}))
    assert empty == synth.Footprint(0, 0, 0, 0)
    ours = synth.gain(synth.LIBRARY.with_images(TWO), runs.outdirs["lib2"], empty)
    # Provider: log group, role, policy, function, watch table, watch rule, invoke permission; per image:
    # resource, handle, wait condition. Statements: logs, describe, four for images (create, delete own,
    # permissions, share own), tags (creation, updates, delete), watch table and rule, events, and the reads of
    # its own stack that confirm each request (issue 20).
    assert ours.provider == synth.Footprint(resources=7, functions=1, statements=13, managed_policies=0)
    assert ours.per_image == synth.Footprint(resources=3 * TWO, functions=0, statements=0, managed_policies=0)
    peer = synth.gain(synth.PEER.with_images(TWO), runs.outdirs["peer2"], empty)
    # AwsCustomResource: a shared function and role (with a managed policy); per call a resource and a policy.
    assert peer.provider == synth.Footprint(resources=2, functions=1, statements=0, managed_policies=1)
    assert peer.per_image == synth.Footprint(resources=2 * TWO, functions=0, statements=TWO, managed_policies=0)


def test_footprint_rows_judge_the_provider_constant(synthesized: tuple[synth.SynthRuns, Path]) -> None:
    runs, workdir = synthesized
    opts = report.Options(small=TWO, mid=TWO, big=TWO)
    rows = report.footprint_rows(opts, dict(runs.outdirs), workdir)
    assert [r.verdict for r in rows] == ["met", "", "", ""]
    assert rows[0].measured.startswith("13 / 13 / 13 (provider 7, constant; 3 per image)")


def test_asset_size_and_cold_imports(synthesized: tuple[synth.SynthRuns, Path], tmp_path: Path) -> None:
    runs, _ = synthesized
    code = asset.function_asset_dir(runs.outdirs["lib2"], "Bench", synth.PROVIDER_PATH)
    names = {p.relative_to(code).as_posix() for p in asset.bundled_files(code)}
    assert {"index.py", "crhelper/__init__.py", "crhelper/resource_helper.py"} <= names
    assert asset.zipped_size(code) > 0
    rows = report.asset_rows(report.Options(reps=1), runs.outdirs["lib2"], tmp_path)
    assert len(rows) == 2
    assert "(n=1)" in rows[1].measured


def test_waiting_rows_deploy_through_the_driver_and_model_the_baselines(
    synthesized: tuple[synth.SynthRuns, Path],
) -> None:
    runs, _ = synthesized
    assembly = waiting.load_assembly(runs.outdirs["lib2"], "Bench")
    opts = report.Options(wait_reps=1, long_reps=1, short_hours=0.05, long_hours=0.1, many_hours=0.05)
    rows = report.waiting_rows(opts, assembly, assembly)
    # Five rows per image duration, then three for 1 image and three for the crowd (here 2 images) waiting at once.
    assert len(rows) == 2 * 5 + 2 * 3
    assert [r.figure.split(":")[0] for r in rows[-6:]] == ["2 images waiting at once in one stack (0.05 h, n=1)"] * 6
    # 3 min + 30 s until AVAILABLE and 30 s more until the next tick saw it: 4 ticks, each one call for both.
    assert rows[-3].measured.startswith("1.00 invocations; 1.00 calls (all: 2 ids in 4 calls)")


def test_deploy_counts_calls_invocations_and_lag(synthesized: tuple[synth.SynthRuns, Path]) -> None:
    runs, _ = synthesized
    # Both images turn AVAILABLE at 150 s; the stack's one rule fires every 60 s: three ticks, each describing
    # both images in one call; the third sees them AVAILABLE, signals both and disables the rule.
    run = waiting.deploy(waiting.load_assembly(runs.outdirs["lib2"], "Bench"), after_seconds=150)
    assert run.status == "CREATE_COMPLETE"
    assert run.lags == [30.0, 30.0]
    assert run.ticks == 3
    assert run.invocations == TWO + 3
    assert run.describe_ids == [TWO] * 3
    assert run.workspaces_calls["CreateUpdatedWorkspaceImage"] == TWO
    # Issue 20's goal: a Create makes three WorkSpaces calls (the source, the create, the new image), however many
    # images the account holds; finding what a retry made is the record's job, not a listing's.
    assert run.create_calls == 3 * TWO
    # CloudFormation made the rule; the handler only switches it on for each wait and off once none is left, and
    # puts one event per image whose wait ended.
    assert run.events_calls == {"PutRule": 1, "PutTargets": 1, "EnableRule": TWO, "DisableRule": 1, "PutEvents": TWO}
    # One Scan per tick, and one more as the last tick disables the rule; CloudFormation made the table. Each
    # Create reads the record of its logical id (a Query), claims the image before making it and records its id
    # after (two PutItems), and starts its wait (a third).
    assert run.dynamodb_calls == {
        "CreateTable": 1,
        "DescribeTable": 3,
        "UpdateTimeToLive": 1,
        "Query": TWO,
        "PutItem": 3 * TWO,
        "DeleteItem": TWO,
        "Scan": 4,
    }
    assert run.image_hours == pytest.approx(TWO * 150 / 3600)


def test_the_baselines_follow_their_schedules() -> None:
    crhelper = waiting.simulate(waiting.CRHELPER, after_seconds=150)
    # Looks at 120 s (PENDING) and 240 s (AVAILABLE); 3 calls to set up polling and 3 to take it down.
    assert (crhelper.looks, crhelper.lag, crhelper.workspaces_calls) == (2, 90.0, 3)
    assert (crhelper.invocations, crhelper.control_calls, crhelper.transitions) == (3, 6, 0)
    assert crhelper.can_wait
    provider = waiting.simulate(waiting.PROVIDER_FRAMEWORK, after_seconds=150)
    # Looks at 0, 5, ..., 150 s: each one two Lambda invocations, a lambda:Invoke and a state transition.
    assert (provider.looks, provider.lag, provider.workspaces_calls) == (31, 0.0, 32)
    assert (provider.invocations, provider.control_calls, provider.transitions) == (2 + 62, 2 + 31, 31)
    assert not waiting.simulate(waiting.CRHELPER, after_seconds=3601).can_wait


def test_phase_offsets_spread_over_the_period() -> None:
    assert waiting.phase_offsets(5) == [6.0, 18.0, 30.0, 42.0, 54.0]
    assert waiting.phase_offsets(3) == [10.0, 30.0, 50.0]


def test_synth_rows_pair_the_apps_of_each_round() -> None:
    opts = report.Options()
    keys = [spec.key for spec in report.synth_apps(opts)]
    assert keys == ["empty", "floor", "peer1", "example", "lib1", "lib50"]
    rows = report.synth_rows(opts, {key: [2.0, 4.0] for key in keys}, {key: [3.0, 3.0] for key in keys})
    assert [r.measured for r in rows] == ["wall 1.00 (1.00 to 1.00, n=2); CPU 1.00 (1.00 to 1.00, n=2)"] * 5
    assert [r.goal for r in rows] == ["≤ 1.10"] * 4 + ["≤ 1.30"]
    assert [r.verdict for r in rows] == ["met"] * 5


def test_stats_and_table() -> None:
    assert ratios([2.0, 6.0, 3.0], [1.0, 2.0, 3.0]) == Spread(2.0, 1.0, 3.0, 3)
    assert Spread.of([1.5]).show(1, " s") == "1.5 s (n=1)"
    text = table([Row("a | b", "1"), Row("c", "2", "r", "≤ 1", "met")])
    assert text.splitlines()[2] == "| 1 | a \\| b | 1 |  |  |  |"
    assert len(text.splitlines()) == 4
