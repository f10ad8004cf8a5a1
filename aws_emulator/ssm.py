"""AWS Systems Manager Parameter Store, as far as String parameters go: PutParameter, GetParameter and DeleteParameter,
answered by moto's Parameter Store (`moto.ssm.models.SimpleSystemManagerBackend`) behind this emulator's transport,
IAM evaluation and virtual clock.

moto keeps the parameters and their versions (an overwrite is a new version and keeps what it does not set, the
Description included), refuses a name that exists without Overwrite (ParameterAlreadyExists) and a create without a
Type, and answers ParameterNotFound. What this module adds in front of it: the model's validation and IAM
(aws_emulator.service), the naming constraints of API_PutParameter moto does not check, refusals of what the project
does not use (rather than trust what no test here covers), and LastModifiedDate on the virtual clock (moto stamps
`utcnow`).

Shapes are botocore's `ssm` 2014-11-06 model (AWS JSON 1.1, target prefix AmazonSSM). Sources: the Systems Manager
API reference, https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html,
https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html and
https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DeleteParameter.html, and the Service
Authorization Reference for AWS Systems Manager,
https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html. "undocumented" marks
a choice made here.

Not modelled, and refused with a ValidationException that says so: SecureString and StringList parameters, the
Advanced and Intelligent-Tiering tiers, KeyId, AllowedPattern, Policies, Tags, a DataType other than text, and version
or label selectors (`name:3`) and ARNs in GetParameter.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, MutableMapping

from moto.ssm.models import Parameter, ParameterDict, SimpleSystemManagerBackend

from aws_emulator.iam import RequestContext
from aws_emulator.moto_backed import answered
from aws_emulator.service import Backend, Clock, Params, ServiceError

__all__ = ["MAX_DEPTH", "MAX_STANDARD_VALUE_BYTES", "Parameter", "ParameterStore", "SSMBackend"]

# API_PutParameter, Name: "Parameter names can include only the following symbols and letters: a-zA-Z0-9_.-", and the
# slash delineates hierarchies; "Parameter hierarchies are limited to a maximum depth of fifteen levels".
_NAME = re.compile(r"/?[a-zA-Z0-9_.-]+(/[a-zA-Z0-9_.-]+)*")
MAX_DEPTH = 15
# The Systems Manager User Guide, "Managing parameter tiers": a standard parameter's value is at most 4 KB.
MAX_STANDARD_VALUE_BYTES = 4096
# PutParameter's members this emulator does not model; each is refused by name when a request sets it.
_NOT_MODELLED = ("KeyId", "AllowedPattern", "Policies", "Tags")


class SSMBackend(Backend):
    """String parameters by name (`parameters`, moto's `Parameter` of each latest version); `put`, `value` and
    `delete` act on them straight (validated, not checked against IAM), and `store` is the same as a mapping of name
    to value."""

    service_name = "ssm"
    target_prefix = "AmazonSSM"
    iam_prefix = "ssm"
    # API_PutParameter lists no validation error; AWS JSON services answer ValidationException (undocumented here).
    validation_error_code = "ValidationException"

    def __init__(
        self,
        clock: Clock | None = None,
        account_id: str = "123456789012",
        region: str = "eu-west-1",
        *,
        check_responses: bool = True,
    ) -> None:
        super().__init__(clock, account_id, region, check_responses)
        # One moto backend of our own, not moto's process-wide `ssm_backends`: every LocalCloud starts empty.
        self.moto = SimpleSystemManagerBackend(region, account_id)
        self.store = ParameterStore(self)

    @property
    def parameters(self) -> dict[str, Parameter]:
        """The latest version of each parameter, by its name (a one-level name without a leading slash, see
        `_valid_name`)."""
        with self.lock:
            # dict.items: moto's ParameterDict would load its built-in /aws/service parameters on a lookup.
            return {name: versions[-1] for name, versions in dict.items(self.moto._parameters) if versions}

    def arn(self, name: str) -> str:
        """A parameter's ARN: arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterNameWithoutLeadingSlash}
        (the Service Authorization Reference, resource type parameter): "/a/b" and "a/b" alike give parameter/a/b,
        and "/name" and "name" give parameter/name."""
        return f"arn:aws:ssm:{self.region}:{self.account_id}:parameter/{name.removeprefix('/')}"

    # -- direct helpers (tests, the driver) ---------------------------------------

    def put(self, name: str, value: str, *, description: str | None = None) -> int:
        """Create or overwrite a String parameter, as PutParameter with Overwrite; its new version."""
        request: Params = {"Name": name, "Value": value, "Type": "String", "Overwrite": True}
        if description is not None:
            request["Description"] = description
        return int(self.handle("PutParameter", request)["Version"])

    def value(self, name: str) -> str:
        """The parameter's value; KeyError when there is none of that name."""
        with self.lock:
            found = self._latest(name)
            if found is None:
                raise KeyError(name)
            return str(found.value)

    def delete(self, name: str) -> None:
        """Forget a parameter; KeyError when there is none of that name."""
        with self.lock:
            try:
                answered(self.moto.delete_parameter, name)
            except ServiceError:
                raise KeyError(name) from None

    # -- authorization -------------------------------------------------------------
    #
    # Service Authorization Reference for AWS Systems Manager: GetParameter, PutParameter and DeleteParameter act on a
    # parameter* resource, whose condition key is aws:ResourceTag/${TagKey}. Parameters carry no tags here.

    def _authorize_get_parameter(self, params: Params) -> list[RequestContext]:
        return [RequestContext(self.action("GetParameter"), self.arn(params["Name"]), {})]

    def _authorize_put_parameter(self, params: Params) -> list[RequestContext]:
        return [RequestContext(self.action("PutParameter"), self.arn(params["Name"]), {})]

    def _authorize_delete_parameter(self, params: Params) -> list[RequestContext]:
        return [RequestContext(self.action("DeleteParameter"), self.arn(params["Name"]), {})]

    # -- operations ----------------------------------------------------------------

    def _put_parameter(self, params: Params) -> Params:
        """API_PutParameter: "Create or update a parameter in Parameter Store"; answers Version and Tier. moto keeps
        the versions, the Overwrite and Type rules and a Description an overwrite does not set; the value's size and
        what is not modelled are checked here first."""
        name = self._valid_name(params["Name"])
        for member in _NOT_MODELLED:
            if member in params:
                raise self._not_modelled(member, params[member])
        if params.get("DataType", "text") != "text":
            raise self._not_modelled("DataType", params["DataType"])
        if params.get("Tier", "Standard") != "Standard":
            raise self._not_modelled("Tier", params["Tier"])
        kind = params.get("Type")
        if kind is not None and kind != "String":
            raise self._not_modelled("Type", kind)
        value = params["Value"]
        if len(value.encode()) > MAX_STANDARD_VALUE_BYTES:
            # The limit is documented; the code and words of the refusal are not.
            raise self.invalid(
                f"Standard tier parameters support a maximum parameter value of {MAX_STANDARD_VALUE_BYTES} bytes."
            )
        parameter = answered(
            self.moto.put_parameter,
            name,
            params.get("Description"),
            value,
            kind,
            None,
            None,
            bool(params.get("Overwrite", False)),
            [],
            "text",
            "Standard",
            None,
        )
        parameter.last_modified_date = datetime.datetime.fromtimestamp(self.now(), datetime.UTC)
        return {"Version": parameter.version, "Tier": "Standard"}

    def _get_parameter(self, params: Params) -> Params:
        """API_GetParameter: "Get information about a single parameter by specifying the parameter name"; a name
        without a parameter answers ParameterNotFound. WithDecryption "is ignored for String and StringList
        parameter types"."""
        name = params["Name"]
        if ":" in name:
            raise self._not_modelled("Name", name)  # name:version, name:label, or an ARN (shared parameters)
        found = self._latest(name)
        if found is None:
            raise ServiceError("ParameterNotFound", f"Parameter {name} not found.")
        return {
            "Parameter": {
                "Name": found.name,
                "Type": found.parameter_type,
                "Value": found.value,
                "Version": found.version,
                "LastModifiedDate": found.last_modified_date.timestamp(),
                "ARN": self.arn(found.name),
                "DataType": found.data_type,
            }
        }

    def _delete_parameter(self, params: Params) -> Params:
        """API_DeleteParameter: "Delete a parameter from the system"; a name without a parameter answers
        ParameterNotFound."""
        answered(self.moto.delete_parameter, params["Name"])
        return {}

    # -- helpers -------------------------------------------------------------------

    def _latest(self, name: str) -> Parameter | None:
        found = answered(self.moto.get_parameter, name)
        return found if isinstance(found, Parameter) else None

    def _valid_name(self, given: str) -> str:
        """The name PutParameter stores, after API_PutParameter's naming constraints: "The service removes any spaces
        specified for the beginning or end of a parameter name"; a hierarchical name begins with a slash ("For
        parameters in a hierarchy, you must include a leading forward slash character (/)"); at most fifteen levels
        (HierarchyLevelLimitExceededException); no "aws" or "ssm" prefix (case-insensitive), read here as of the
        name without its leading slash. The words of each refusal are undocumented.

        moto keeps a one-level name without its leading slash ("/name" and "name" are one parameter, named "name"),
        which is what the API is observed to do (undocumented; hashicorp/terraform-provider-aws#49116: "If a single
        name is passed with a leading slash, the AWS API normalizes it to the name without the slash")."""
        name = given.strip(" ")
        if not _NAME.fullmatch(name) or ("/" in name and not name.startswith("/")):
            raise self.invalid(
                f"Parameter name {given!r}: only a-zA-Z0-9_.- and, for a hierarchy that begins with a slash, "
                "slashes between non-empty levels are allowed."
            )
        if name.lstrip("/").lower().startswith(("aws", "ssm")):
            raise self.invalid(
                f'Parameter name {given!r}: it can\'t be prefixed with "aws" or "ssm" (case-insensitive).'
            )
        if name.count("/") > MAX_DEPTH:
            raise ServiceError(
                "HierarchyLevelLimitExceededException",
                f"Parameter name {given!r} has more than {MAX_DEPTH} levels of hierarchy.",
            )
        return str(ParameterDict.normalize_name(name))

    def _not_modelled(self, member: str, value: object) -> ServiceError:
        return self.invalid(
            f"The emulator does not model {member} (asked: {value!r}): only String parameters of the Standard tier "
            "are emulated."
        )


class ParameterStore(MutableMapping[str, str]):
    """A backend's parameters as name -> value: reading is `value`, setting is `put` (a new version), deleting is
    `delete`."""

    def __init__(self, backend: SSMBackend) -> None:
        self._backend = backend

    def __getitem__(self, name: str) -> str:
        return self._backend.value(name)

    def __setitem__(self, name: str, value: str) -> None:
        self._backend.put(name, value)

    def __delitem__(self, name: str) -> None:
        self._backend.delete(name)

    def __iter__(self) -> Iterator[str]:
        with self._backend.lock:
            return iter(list(self._backend.parameters))

    def __len__(self) -> int:
        with self._backend.lock:
            return len(self._backend.parameters)
