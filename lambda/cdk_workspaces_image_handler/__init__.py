"""The Lambda handler of cdk-workspaces-image: one function per stack serves every image and bundle resource.

Only ``contract`` is imported by the construct library; it is stdlib-only. Everything else runs in Lambda.
"""
