"""A local stand-in for CloudFormation: plays a synthesized cloud assembly against the WorkSpaces emulator.

Each rule it models cites the AWS CloudFormation User Guide page it comes from;
where CloudFormation's behaviour is undocumented the comment says so.
"""
