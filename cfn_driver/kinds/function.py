"""AWS::Lambda::Function: a function the driver hosts (cfn_driver.lambda_host), which custom resources and EventBridge
rules invoke."""

from __future__ import annotations

from cfn_driver.kinds.base import Change, Driver, Provisioner, required
from cfn_driver.lambda_host import LambdaHost
from cfn_driver.model import Pending, Resource, Result, Stack


class Function(Provisioner):
    """A warm worker process with the function's environment and its execution role's credentials, a session named
    after the function; the cloud checks that role's policies on every call the function makes
    (LocalCloud.assume_role). Role is required. Ref is the function's name, Fn::GetAtt Arn its ARN; an update
    restarts it, with the same name."""

    types = ("AWS::Lambda::Function",)

    def provision(self, driver: Driver, change: Change) -> Result | Pending:
        stack, lid, props = change.stack, change.logical_id, change.properties
        assert stack.assembly is not None
        role_arn = str(props.get("Role") or "")
        if not role_arn:
            return required(lid, "Role")
        old = stack.resources.get(lid)
        name = old.physical_id if old else driver.generated_name(stack, lid)[:64]
        arn = f"arn:aws:lambda:{driver.region}:{driver.account}:function:{name}"
        credentials = driver.cloud.assume_role(role_arn, name, lambda: driver.role_policies(role_arn))
        if arn in driver.hosts:
            driver.hosts[arn].stop()
            previous = driver.hosts[arn].env.get("AWS_ACCESS_KEY_ID", "")
            if previous != credentials["AWS_ACCESS_KEY_ID"]:
                driver.cloud.revoke(previous)
        env = {
            **{k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()},
            **driver.cloud.lambda_env(),
            # CloudFormation's presigned URLs are on its S3 buckets; the function reaches them at the inbox.
            "AWS_ENDPOINT_URL_S3": driver.inbox.endpoint,
            "AWS_REGION": driver.region,
            "AWS_DEFAULT_REGION": driver.region,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            **credentials,
        }
        driver.hosts[arn] = LambdaHost(
            name=name,
            arn=arn,
            asset_dir=stack.assembly.asset_dir(change.template["Resources"][lid]).resolve(),
            handler=props["Handler"],
            env=env,
            timeout_seconds=int(props.get("Timeout", 3)),
            memory=int(props.get("MemorySize", 128)),
            real_limit_seconds=driver.real_limit_seconds,
        )
        driver.record(stack, change.resource(name, {"Arn": arn}))
        return Result(True, physical_id=name)

    def delete(self, driver: Driver, stack: Stack, resource: Resource) -> Result:
        host = driver.hosts.pop(resource.attributes["Arn"], None)
        if host is not None:
            host.stop()
            driver.cloud.revoke(host.env.get("AWS_ACCESS_KEY_ID", ""))
        return Result(True)

    def revert(self, driver: Driver, stack: Stack, current: Resource, old: Resource) -> Result:
        # The previous code and configuration, restarted. Whether that worked is not looked at: the rollback goes on.
        self.provision(driver, Change.back(stack, current, old))
        return Result(True)
