"""The empty app: aws_cdk and one empty stack. Reported for scale, not the yardstick."""

from __future__ import annotations

import aws_cdk as cdk

from benchmarks._props import STACK_NAME

if __name__ == "__main__":
    app = cdk.App()
    cdk.Stack(app, STACK_NAME)
    app.synth()
