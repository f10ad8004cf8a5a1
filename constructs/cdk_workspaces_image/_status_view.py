"""The status command's views of the rows `_status_decide` made: plain lines (stdout is not a terminal), a table with
progress bars drawn by rich (a terminal), and JSON (`--json`).

The JSON document (one per reading; with --watch, one per line):

    {
      "stack": {"name", "id", "status", "reason", "region"},
      "now": "2024-01-01T01:00:00Z", "now_from": "the Date header of AWS's latest answer",
      "phase": "done" | "waiting" | "failed", "exit_code": 0 | 1 | 2,
      "resources": [{
        "logical_id", "type", "kind" ("image", "copy", "bundle", "bundle image"), "path" (the construct path),
        "region", "phase", "cloudformation_status" ("" before CloudFormation began it), "wait_status" (its
        wait condition's, "" without one), "workspaces_state" ("" when nothing was found), "resource_id",
        "found_by" ("physical id", "name and ownership tag", "BundleId" or ""),
        "began", "deadline" (ISO 8601 UTC, or null when not waiting), "began_from", "deadline_from",
        "elapsed_seconds" (null when not waiting), "progress_percentage" (an import's, else null),
        "progress" (an import's State, percentage and StateMessage; a bundle's "on image <id>"; else ""), "next"
      }]
    }
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Imported where drawn: importing the command must not need rich until it draws.
    from rich.console import Console, RenderableType

from ._status_decide import Phase, Row, Snapshot, duration, elapsed, exit_code, overall, when

PHASE_STYLES = {Phase.DONE: "green", Phase.WAITING: "yellow", Phase.FAILED: "bold red"}


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _heading(snapshot: Snapshot) -> str:
    stack = snapshot.stack
    reason = f" ({stack.reason})" if stack.reason else ""
    return (
        f"Stack {stack.name} in {stack.region}: {stack.status}{reason}\n"
        f"Now {when(snapshot.now)}, from {snapshot.now_from}"
    )


def _what(shown: Row) -> str:
    ids = " ".join(p for p in (shown.resource_id, f"in {shown.region}" if shown.kind == "copy" else "") if p)
    found = f", found by {shown.found_by}" if shown.found_by and shown.found_by != "physical id" else ""
    # The construct path where the template has it (aws:cdk:path), with the logical id CloudFormation shows.
    named = shown.type if shown.path == shown.logical_id else f"{shown.type} {shown.logical_id}"
    return f"{shown.path} ({named}){': ' + ids if ids else ''}{found}"


def _timing(shown: Row, now: float) -> str:
    since = elapsed(shown, now)
    if since is None:
        return ""
    text = f"waiting {duration(since)}, since {when(shown.began or 0)} ({shown.began_from})"
    if shown.deadline is not None:
        left = shown.deadline - now
        text += (
            f"; deadline {when(shown.deadline)}, in {duration(left)}"
            if left > 0
            else f"; deadline passed at {when(shown.deadline)}"
        )
    elif shown.deadline_from:
        text += f"; no deadline known: {shown.deadline_from}"
    return text


def _summary(snapshot: Snapshot, shown: Sequence[Row]) -> str:
    phase = overall(snapshot, shown)
    code = exit_code(snapshot, shown)
    words = {Phase.DONE: "all done", Phase.WAITING: "still waiting", Phase.FAILED: "something failed"}
    return f"{words[phase]} (exit code {code})"


def plain(snapshot: Snapshot, shown: Sequence[Row]) -> str:
    """Lines for a log or a pipe: each resource, its states, its timing, its progress and what comes next."""
    lines = [_heading(snapshot)]
    if not shown:
        lines.append("No image, copy or bundle of cdk-workspaces-image in this stack.")
    for r in shown:
        lines.append(f"{r.phase.value.upper():8s} {_what(r)}")
        lines.append(f"         state: {r.state}")
        timing = _timing(r, snapshot.now)
        if timing:
            lines.append(f"         {timing}")
        if r.progress:
            lines.append(f"         progress: {r.progress}")
        lines.append(f"         next: {r.next}")
    lines.append(_summary(snapshot, shown))
    return "\n".join(lines)


def document(snapshot: Snapshot, shown: Sequence[Row]) -> dict[str, Any]:
    """The JSON document (the shape is in this module's docstring)."""
    stack = snapshot.stack
    return {
        "stack": {
            "name": stack.name,
            "id": stack.stack_id,
            "status": stack.status,
            "reason": stack.reason,
            "region": stack.region,
        },
        "now": _iso(snapshot.now),
        "now_from": snapshot.now_from,
        "phase": overall(snapshot, shown).value,
        "exit_code": exit_code(snapshot, shown),
        "resources": [
            {
                "logical_id": r.logical_id,
                "type": r.type,
                "kind": r.kind,
                "path": r.path,
                "region": r.region,
                "phase": r.phase.value,
                "cloudformation_status": r.cloudformation_status,
                "wait_status": r.wait_status,
                "workspaces_state": r.workspaces_state,
                "resource_id": r.resource_id,
                "found_by": r.found_by,
                "began": _iso(r.began),
                "began_from": r.began_from,
                "deadline": _iso(r.deadline),
                "deadline_from": r.deadline_from,
                "elapsed_seconds": elapsed(r, snapshot.now),
                "progress_percentage": r.progress_percentage,
                "progress": r.progress,
                "next": r.next,
            }
            for r in shown
        ],
    }


def rich_table(snapshot: Snapshot, shown: Sequence[Row], out: IO[str], width: int | None = None) -> None:
    """A table for a terminal: a bar per waiting resource, an import's percentage where WorkSpaces reports one, else
    the share of its time allowed that has passed (labelled so)."""
    terminal(out, width).print(rich_renderable(snapshot, shown))


def terminal(out: IO[str], width: int | None = None) -> Console:
    """rich's console on `out` (width: for tests, which then also make it a terminal)."""
    from rich.console import Console

    return Console(file=out, width=width, force_terminal=True if width else None)


def rich_renderable(snapshot: Snapshot, shown: Sequence[Row]) -> RenderableType:
    """The heading, the table and the summary, as one thing rich draws: printed once, or redrawn in place by --watch."""
    from rich.console import Group
    from rich.progress_bar import ProgressBar
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=True, expand=True)
    for column in ("resource", "state", "progress", "next"):
        table.add_column(column, overflow="fold")

    def bar_over(completed: float, total: float, words: str) -> RenderableType:
        # The bar, and under it what it measures.
        grid = Table.grid()
        grid.add_row(ProgressBar(total=total, completed=completed, width=24))
        grid.add_row(Text(words))
        return grid

    for r in shown:
        bar: RenderableType = Text("")
        since = elapsed(r, snapshot.now)
        if r.progress_percentage is not None:
            bar = bar_over(r.progress_percentage, 100, r.progress)
        elif since is not None and r.deadline is not None and r.began is not None and r.deadline > r.began:
            allowed = r.deadline - r.began
            bar = bar_over(min(since, allowed), allowed, f"{duration(since)} of {duration(allowed)} allowed")
        elif since is not None:
            bar = Text(f"waiting {duration(since)}")
        elif r.progress:
            bar = Text(r.progress)
        timing = _timing(r, snapshot.now)
        table.add_row(
            Text(_what(r)),
            Text(f"{r.phase.value}: {r.state}", style=PHASE_STYLES[r.phase]),
            bar,
            Text(r.next + (f"\n{timing}" if timing else "")),
        )
    return Group(
        Text(_heading(snapshot), style="bold"),
        table,
        Text(_summary(snapshot, shown), style=PHASE_STYLES[overall(snapshot, shown)]),
    )
