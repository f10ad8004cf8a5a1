"""Who calls the emulator, and whether their identity-based policies, and the resource-based policy of what they act
on, allow it.

`AccessControl` issues credentials for a role session (what Lambda hands a function: the execution role's
temporary credentials, its session named after the function), recognises the access key id a request is
signed with, and evaluates the role's policies together with the resource-based policy the backend names for each
request context (`aws_emulator.iam`, within one account). Every request context it evaluates carries the
principal's condition keys (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType), which AWS includes in every
signed request. Backends consult it only for requests that come through a credentialed front door
(the HTTP server or the in-process hook); calls made straight through `Backend.handle` (a test, or the lifecycle
driver acting for CloudFormation with the deployer's credentials) are not checked.

Sources: the caller's identity is the access key id in the request's SigV4 Authorization header
(https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html: "Credential=<access key
ID>/<credential scope>"); temporary credentials' access key ids begin with ASIA
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids); an assumed
role's principal is arn:aws:sts::<account>:assumed-role/<role name>/<session name> (same page, "IAM ARNs"); a
Lambda function's role session is named after the function (undocumented; that name is what AWS's access denied
messages show for Lambda). An access key the service does not know: the common-errors pages list
InvalidClientTokenId (HTTP 403); what the AWS JSON services answer is undocumented, and here it is what they are
widely seen to answer, UnrecognizedClientException, "The security token included in the request is invalid."
(HTTP 400). A request that is not signed at all: MissingAuthenticationToken (HTTP 403, the common-errors pages).
Signatures and session tokens are not verified: the emulator trusts the key id it is shown.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from aws_emulator.iam import (
    Decision,
    PolicyDocument,
    PolicyType,
    RequestContext,
    Requester,
    Verdict,
    denial_message,
    evaluate_request,
    principal_context,
)
from aws_emulator.service import ServiceError

Policies = Callable[[], Sequence[PolicyDocument]]

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def access_key_of(authorization: str | None) -> str:
    """The access key id a SigV4 Authorization header names; "" when the request is not signed."""
    match = _CREDENTIAL.search(authorization or "")
    return match.group(1) if match else ""


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str

    def environ(self) -> dict[str, str]:
        """The variables Lambda sets for a function's execution role."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }


@dataclass(frozen=True)
class Principal:
    """A role session: its ARN as AWS names it in a denial, and the role's identity-based policies as they are now
    (read at every request, so a policy the stack changes takes effect at once)."""

    arn: str
    role_arn: str
    policies: Policies

    @property
    def requester(self) -> Requester:
        return Requester(self.arn, self.role_arn)


@dataclass(frozen=True)
class Denial:
    principal: Principal
    request: RequestContext
    decision: Decision
    message: str
    # Which kind of policy refused: an explicit deny's policy, or identity-based for an implicit deny.
    policy_type: PolicyType = PolicyType.IDENTITY


class AccessControl:
    """The credentials the emulator knows, and enforcement (on unless `enforce` is False)."""

    def __init__(self, *, enforce: bool = True) -> None:
        self.enforce = enforce
        self._lock = threading.Lock()
        self._principals: dict[str, Principal] = {}
        # Every request the policies refused, with its words: what a test asserts (injected AccessDenied
        # faults are not here).
        self.denials: list[Denial] = []

    def assume_role(self, role_arn: str, session_name: str, policies: Policies) -> Credentials:
        """Credentials for a session of `role_arn` (the same ones for the same role and session, so a function
        updated in place keeps its key)."""
        digest = hashlib.sha256(f"{role_arn}|{session_name}".encode()).hexdigest().upper()
        credentials = Credentials(f"ASIA{digest[:16]}", digest[16:56], f"session-{digest[:32]}")
        principal = Principal(_assumed_role_arn(role_arn, session_name), role_arn, policies)
        with self._lock:
            self._principals[credentials.access_key_id] = principal
        return credentials

    def revoke(self, access_key_id: str) -> None:
        with self._lock:
            self._principals.pop(access_key_id, None)

    def principal(self, access_key_id: str) -> Principal | None:
        with self._lock:
            return self._principals.get(access_key_id)

    def authenticate(self, access_key_id: str) -> Principal | None:
        """The principal a request is made by; None when enforcement is off. An unknown key is refused."""
        if not self.enforce:
            return None
        principal = self.principal(access_key_id)
        if principal is None:
            if not access_key_id:
                raise ServiceError("MissingAuthenticationToken", "Missing Authentication Token", 403)
            raise ServiceError("UnrecognizedClientException", "The security token included in the request is invalid.")
        return principal

    def authorize(
        self,
        principal: Principal,
        requests: Sequence[RequestContext],
        resource_policies: Sequence[PolicyDocument | None] | None = None,
    ) -> None:
        """Every request context must be allowed, by the role's policies and the resource-based policy that applies
        to it (`resource_policies[i]` for `requests[i]`; None: the resource has none); the first that is not is
        answered AccessDeniedException, HTTP 400, as the WorkSpaces and DynamoDB API references list it
        (EventBridge's model has the same error shape)."""
        applying = list(resource_policies) if resource_policies is not None else [None] * len(requests)
        if len(applying) != len(requests):
            raise ValueError("one resource-based policy (or None) per request context")
        policies = list(principal.policies())
        for request, resource_policy in zip(requests, applying, strict=True):
            signed = self.signed(principal, request)
            verdict = self.verdict(principal, signed, resource_policy, policies)
            if verdict.decision is not Decision.ALLOW:
                message = denial_message(principal.arn, signed, verdict.decision, verdict.policy_type)
                denial = Denial(principal, signed, verdict.decision, message, verdict.policy_type)
                with self._lock:
                    self.denials.append(denial)
                raise ServiceError("AccessDeniedException", denial.message)

    @staticmethod
    def signed(principal: Principal, request: RequestContext) -> RequestContext:
        """The request context with the principal's condition keys, as every signed request carries them."""
        return replace(request, keys={**request.keys, **principal_context(principal.requester)})

    @staticmethod
    def verdict(
        principal: Principal,
        request: RequestContext,
        resource_policy: PolicyDocument | None = None,
        policies: Sequence[PolicyDocument] | None = None,
    ) -> Verdict:
        """The decision on one signed request context, recording nothing (for a backend that must know whether a
        change would take a caller's own access away)."""
        identity = list(principal.policies()) if policies is None else policies
        return evaluate_request(identity, request, requester=principal.requester, resource_policy=resource_policy)


def _assumed_role_arn(role_arn: str, session_name: str) -> str:
    """arn:aws:iam::<account>:role/<path><name> -> arn:aws:sts::<account>:assumed-role/<name>/<session>."""
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        raise ValueError(f"not a role ARN: {role_arn!r}")
    partition, account, name = parts[1], parts[4], parts[5].rsplit("/", 1)[-1]
    return f"arn:{partition}:sts::{account}:assumed-role/{name}/{session_name}"
