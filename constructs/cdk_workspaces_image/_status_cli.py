"""``cdk-workspaces-image status STACK [--region R] [--watch [--interval S]] [--json]``: what a deploy of a stack with
this library's images, copies and bundles is waiting for, for how long, until when, how far along, and what comes
next. Also ``python -m cdk_workspaces_image status ...``.

Exit code: 0 all done, 1 something failed (or the command could not read the stack), 2 still waiting.

It reads with your own credentials (boto3's default session: AWS_PROFILE, the environment, ...), read-only, and
needs these IAM actions: cloudformation:DescribeStacks, cloudformation:GetTemplate, cloudformation:ListStackResources
on the stack, and workspaces:DescribeWorkspaceImages, workspaces:DescribeWorkspaceBundles, workspaces:DescribeTags,
workspaces:DescribeCustomWorkspaceImageImport (``_status_read.ACTIONS``). It never reads the provider's own table.

boto3 and rich are not requirements of the library: ``pip install 'cdk-workspaces-image[status]'`` adds them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import IO, NoReturn

EXTRA_ADVICE = "pip install 'cdk-workspaces-image[status]'"
DEFAULT_INTERVAL = 30

EPILOG = """\
exit codes: 0 all done, 1 something failed (or the stack could not be read), 2 still waiting.

IAM (read-only, your own credentials): cloudformation:DescribeStacks, cloudformation:GetTemplate,
cloudformation:ListStackResources; workspaces:DescribeWorkspaceImages, workspaces:DescribeWorkspaceBundles,
workspaces:DescribeTags, workspaces:DescribeCustomWorkspaceImageImport (in the stack's Region and each copy's).

"now" is the Date header of AWS's latest answer; an image's wait counts from its Created, a bundle's from when
CloudFormation began it. --json prints one document per reading (the shape: docs/usage.md).
"""


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on a usage error, which would read as "still waiting": 1 instead."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cdk-workspaces-image", description="Tools for stacks made with cdk-workspaces-image.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    status = commands.add_parser(
        "status",
        help="what a deploy is waiting for",
        description="Show each image, copy and bundle of STACK: its state, how long it has waited, its deadline,\n"
        "an import's progress, and what happens next.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    status.add_argument("stack", metavar="STACK", help="the stack's name or id")
    status.add_argument("--region", help="the stack's Region (default: AWS_REGION or your profile's)")
    status.add_argument("--watch", action="store_true", help="read again every --interval seconds until nothing waits")
    status.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL,
        help=f"seconds between readings (default {DEFAULT_INTERVAL})",
    )
    status.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def _missing() -> list[str]:
    missing = []
    for name in ("boto3", "rich"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    return missing


def main(
    argv: Sequence[str] | None = None,
    *,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    tty: bool | None = None,
    width: int | None = None,
) -> int:
    """Run the command; the exit code. `sleep` (between --watch readings), `tty` (None: whether `out` is a terminal)
    and `width` are for tests."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parser().parse_args(argv)
    if args.interval <= 0:
        print(f"--interval must be more than 0 seconds, not {args.interval}", file=err)
        return 1
    missing = _missing()
    if missing:
        print(
            f"the status command needs {' and '.join(missing)}, which cdk-workspaces-image does not install by "
            f"itself: {EXTRA_ADVICE}",
            file=err,
        )
        return 1
    # Only now: importing the package must not import boto3 or rich.
    from rich.live import Live

    from ._status_decide import exit_code, rows
    from ._status_read import Reader, StatusError
    from ._status_view import document, plain, rich_renderable, rich_table, terminal

    is_terminal = out.isatty() if tty is None else tty
    try:
        reader = Reader(args.stack, args.region)
        with contextlib.ExitStack() as drawing:
            # --watch in a terminal: one table, redrawn in place at each reading, rather than a new one under the last.
            live = None
            if args.watch and is_terminal and not args.json:
                live = drawing.enter_context(Live(console=terminal(out, width), auto_refresh=False))
            while True:
                snapshot = reader.read()
                shown = rows(snapshot)
                code = exit_code(snapshot, shown)
                if live is not None:
                    live.update(rich_renderable(snapshot, shown), refresh=True)
                elif args.json:
                    compact = (",", ":") if args.watch else None
                    print(json.dumps(document(snapshot, shown), separators=compact), file=out)
                elif is_terminal:
                    rich_table(snapshot, shown, out, width)
                else:
                    print(plain(snapshot, shown), file=out)
                out.flush()
                if not args.watch or code != 2:
                    return code
                sleep(args.interval)
                if live is None and not args.json:
                    print(file=out)
    except StatusError as error:
        print(f"cdk-workspaces-image status: {error}", file=err)
        return 1
    except KeyboardInterrupt:
        return 2


def console() -> None:
    """The console script."""
    sys.exit(main())
