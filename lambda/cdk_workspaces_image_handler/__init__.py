"""The Lambda handler of cdk-workspaces-image: one function per stack serves every image and bundle resource.

Only ``contract`` and ``rules`` are imported by the construct library; they are stdlib-only. Everything else
runs in Lambda.
"""
