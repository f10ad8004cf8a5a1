"""An in-memory Amazon EventBridge: the default event bus and custom ones with their resource-based policies, rules and
targets on each, schedules on a virtual clock, and put events matched against the rules of their bus.

Shapes are botocore's `events` 2015-10-07 model. Sources: the EventBridge API reference
(https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_<Operation>.html), the user guide's "Schedule
expressions", "Sending events with PutEvents" and quotas pages; event patterns and target input are in
`aws_emulator.event_patterns`. "undocumented" marks a choice made here. Only what the handler, the update monitor
and the lifecycle driver need is emulated.

Custom event buses (API_CreateEventBus, API_DescribeEventBus, API_DeleteEventBus) carry a resource-based policy
(API_PutPermission with Policy, or with StatementId, Action, Principal and Condition; API_RemovePermission). The user
guide's "Permissions for event buses" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html)
says a bus's policy may allow PutEvents, PutRule and PutTargets and use IAM conditions; its example policies limit
events:source and events:detail-type (eb-event-bus-example-policy-cross-account-custom-bus-source.html). The launch post
of those policies
(https://aws.amazon.com/blogs/compute/simplifying-cross-account-access-with-amazon-eventbridge-resource-policies/) says
that an API call "considers both the user's IAM policy and the event bus resource policy in the authorization process".
So the policy of the bus a request acts on (its PutEvents entries' bus, or the bus of the rule it names) is evaluated
with the caller's identity-based policies by `aws_emulator.iam.evaluate_request` (`resource_policy`), under IAM's
evaluation logic: an explicit Deny in it refuses a caller of the bus's own account whatever its own policies allow
(EventBridge's pages show only Allow statements in bus policies: for EventBridge in particular this is undocumented, and
IAM's general rule is the reading taken). (The user guide's "Using resource-based policies for Amazon EventBridge",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html, is about the targets' policies.) A
policy is checked when it is put: one the evaluator could not judge is refused.

What a rule delivers is recorded, never sent: `due()` hands each delivery to whoever hosts the targets (the lifecycle
driver invokes the Lambda functions it runs), and `deliveries` keeps every delivery of a put event, to any target
(an SNS topic's included), for tests to read.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from botocore.utils import parse_timestamp

from aws_emulator.event_patterns import as_sent, input_problem, matches, parse_pattern
from aws_emulator.iam import ContextValue, PolicyDocument, PolicyError, RequestContext, check_policy, tag_context
from aws_emulator.service import Backend, Clock, Params, ServiceError

DEFAULT_BUS = "default"
# User guide, schedule expressions: rate(value unit), unit minute(s), hour(s) or day(s);
# the unit is singular for 1 and plural otherwise.
RATE = re.compile(r"rate\((?P<value>[1-9][0-9]*) (?P<unit>minute|minutes|hour|hours|day|days)\)")
CRON = re.compile(r"cron\((\S+ ){5}\S+\)")
SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
# API_PutEvents: "the total entry size must be less than 256KB", counted as the user guide's "Calculating PutEvents
# event entry size" says (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).
MAX_ENTRIES_BYTES = 256 * 1024
# API_PutPermission: "The permission policy on the event bus cannot exceed 10 KB in size"; counted in UTF-8 bytes of the
# policy as stored, 1024 to the KB (undocumented which).
MAX_POLICY_BYTES = 10 * 1024


def rate_seconds(expression: str) -> int | None:
    """The period of a valid rate(...) expression; None for anything else."""
    match = RATE.fullmatch(expression)
    if match is None:
        return None
    value, unit = int(match["value"]), match["unit"]
    if (value == 1) != (not unit.endswith("s")):
        return None
    return value * SECONDS[unit.rstrip("s")]


@dataclass(frozen=True)
class Delivery:
    """One event a rule sends one target at `at`: `event` is what the target receives (the event, or its Input,
    InputPath or InputTransformer applied), `event_id` the id of the event it came from."""

    rule: str
    at: float
    target_id: str
    arn: str
    input: str | None
    target: Params
    event: Any = None
    event_id: str = ""


# The name schedules' deliveries had first.
Firing = Delivery


@dataclass(frozen=True)
class PutEvent:
    """One event PutEvents accepted: when (`at`, on the virtual clock), what, who put it (`caller`, the access key
    id it was signed with; None straight through `handle`), and `event`, the event as rules and targets see it."""

    event_id: str
    at: float
    source: str
    detail_type: str
    detail: dict[str, Any]
    resources: tuple[str, ...]
    caller: str | None
    event: dict[str, Any]
    # The name of the bus it was put on.
    bus: str = DEFAULT_BUS


@dataclass
class Rule:
    name: str
    arn: str
    state: str
    schedule: str | None
    event_pattern: str | None
    description: str | None
    role_arn: str | None
    anchor: float
    tags: dict[str, str] = field(default_factory=dict)
    targets: dict[str, Params] = field(default_factory=dict)
    fired_periods: int = 0
    pattern: dict[str, Any] | None = None
    bus: str = DEFAULT_BUS

    def to_api(self, account_id: str) -> Params:
        answer: Params = {"Name": self.name, "Arn": self.arn, "State": self.state, "EventBusName": self.bus}
        for key, value in (
            ("ScheduleExpression", self.schedule),
            ("EventPattern", self.event_pattern),
            ("Description", self.description),
            ("RoleArn", self.role_arn),
        ):
            if value is not None:
                answer[key] = value
        return answer

    def period(self) -> int | None:
        return rate_seconds(self.schedule) if self.schedule else None


@dataclass
class EventBus:
    """An event bus: the default one, or a custom one (CreateEventBus), with its rules by name and its resource-based
    policy (the JSON text as it was put, and the document it holds)."""

    name: str
    arn: str
    created: float
    modified: float
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    policy: str | None = None
    policy_document: PolicyDocument | None = None
    rules: dict[str, Rule] = field(default_factory=dict)


class EventBridgeBackend(Backend):
    """The default event bus and custom ones, their rules and targets; `due(now)` for what rate schedules and put
    events deliver; `events_put` and `deliveries`, every event put and every delivery of one, in order. `rules` are
    the default bus's, `buses` every bus by name.

    Quotas (EventBridge user guide, quotas): 300 rules per event bus, 5 targets per rule, 100 event buses per account.
    `delete_bus_with_rules`: DeleteEventBus of a bus that still has rules. API_DeleteEventBus says "All rules associated
    with this event bus need to be deleted", the user guide's "Deleting an event bus" (event-bus-delete.html) that
    "Deleting an event bus deletes the rules associated with that event bus"; by default such a call is refused (the
    reading that asks most of a caller; the code, ValidationException, is undocumented), with True the rules go with
    the bus.
    """

    service_name = "events"
    target_prefix = "AWSEvents"
    iam_prefix = "events"
    # EventBridge common errors: ValidationException for input that fails the constraints.
    validation_error_code = "ValidationException"

    def __init__(
        self,
        clock: Clock | None = None,
        account_id: str = "123456789012",
        region: str = "eu-west-1",
        *,
        rule_quota: int = 300,
        targets_per_rule: int = 5,
        bus_quota: int = 100,
        delete_bus_with_rules: bool = False,
        check_responses: bool = True,
    ) -> None:
        super().__init__(clock, account_id, region, check_responses)
        self.rule_quota = rule_quota
        self.targets_per_rule = targets_per_rule
        self.bus_quota = bus_quota
        self.delete_bus_with_rules = delete_bus_with_rules
        default = EventBus(DEFAULT_BUS, self._bus_arn(DEFAULT_BUS), self.now(), self.now())
        self.buses: dict[str, EventBus] = {DEFAULT_BUS: default}
        self.rules: dict[str, Rule] = default.rules
        self.events_put: list[PutEvent] = []
        self.deliveries: list[Delivery] = []
        # Deliveries not yet returned by `due`: those of put events, and those that fell due before a rule changed
        # state or schedule.
        self._held: list[Delivery] = []

    @property
    def default_bus_arn(self) -> str:
        return self._bus_arn(DEFAULT_BUS)

    def _all_rules(self) -> list[Rule]:
        return [rule for bus in self.buses.values() for rule in bus.rules.values()]

    # -- schedules and deliveries --------------------------------------------------

    def due(self, now: float | None = None) -> list[Delivery]:
        """Every delivery due up to `now` (default: the clock) not returned before, oldest first.

        A rate schedule starts when the rule is created (user guide, schedule expressions),
        so a rule made at t fires at t + period, t + 2 * period, ...; a period that passed
        while the rule was DISABLED or had no target delivers nothing. Changing the
        expression restarts the schedule (undocumented). A state or schedule change settles
        the periods before it first, so a rule enabled again does not fire for the periods
        it spent disabled, however late `due` is asked. A put event's deliveries are due when
        it was put (how long EventBridge takes is undocumented; here no time).
        """
        with self.lock:
            moment = self.now() if now is None else now
            firings = [f for f in self._held if f.at <= moment]
            self._held = [f for f in self._held if f.at > moment]
            for rule in self._all_rules():
                firings += self._firings(rule, moment)
            return sorted(firings, key=lambda f: (f.at, f.rule, f.target_id))

    def _firings(self, rule: Rule, moment: float) -> list[Delivery]:
        """The rule's deliveries for the periods up to `moment` not counted before; counts them."""
        period = rule.period()
        if period is None:
            return []  # event patterns and cron(...) schedules are not fired
        reached = int((moment - rule.anchor) // period)
        firings: list[Delivery] = []
        if rule.state != "DISABLED":
            for index in range(rule.fired_periods + 1, reached + 1):
                at = rule.anchor + index * period
                # A schedule's event: the "Scheduled Event" of the user guide's example
                # (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html).
                event = self._event("aws.events", "Scheduled Event", {}, [rule.arn], at)
                firings += self._deliver(rule, event, at)
        rule.fired_periods = max(rule.fired_periods, reached)
        return firings

    def _deliver(self, rule: Rule, event: dict[str, Any], at: float) -> list[Delivery]:
        """One delivery of `event` to each of the rule's targets, as each target receives it."""
        return [
            Delivery(
                rule.name,
                at,
                t["Id"],
                t["Arn"],
                t.get("Input"),
                dict(t),
                as_sent(t, event, rule.name, rule.arn, _iso(at)),
                event["id"],
            )
            for t in rule.targets.values()
        ]

    def _event(
        self, source: str, detail_type: str, detail: dict[str, Any], resources: list[str], at: float
    ) -> dict[str, Any]:
        """An event as rules match it and targets get it: the fields of the user guide's "Amazon EventBridge events"
        (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html), version "0"."""
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": source,
            "account": self.account_id,
            "time": _iso(at),
            "region": self.region,
            "resources": resources,
            "detail": detail,
        }

    def _settle(self, rule: Rule) -> None:
        """Before a rule changes: what fell due under its old state and schedule is kept for `due`."""
        self._held += self._firings(rule, self.now())

    def next_due(self) -> float | None:
        """When the next delivery happens (an enabled rate rule with a target, a put event's delivery), or None."""
        with self.lock:
            times = [
                rule.anchor + (rule.fired_periods + 1) * period
                for rule in self._all_rules()
                if (period := rule.period()) is not None and rule.state != "DISABLED" and rule.targets
            ]
            times += [f.at for f in self._held]
            return min(times) if times else None

    # -- authorization -------------------------------------------------------------
    #
    # Service Authorization Reference for Amazon EventBridge
    # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html): the rule
    # operations act on a rule, rule-on-default-event-bus (arn:${Partition}:events:${Region}:${Account}:rule/
    # ${RuleName}) or rule-on-custom-event-bus (.../rule/${EventBusName}/${RuleName}), whose condition key is
    # aws:ResourceTag; PutRule also has aws:RequestTag and aws:TagKeys. ListRules has no resource types. PutEvents acts
    # on an event-bus (arn:${Partition}:events:${Region}:${Account}:event-bus/${EventBusName}) with the condition keys
    # events:source and events:detail-type (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html).
    # CreateEventBus acts on the event-bus it creates, with aws:RequestTag and aws:TagKeys; DescribeEventBus,
    # DeleteEventBus, PutPermission and RemovePermission are taken to act on the event-bus they name (the reference's
    # rows for them are not modelled further). The other events: condition keys (creatorAccount, ManagedBy, TargetArn,
    # eventBusInvocation, ...) are not modelled.

    _BY_NAME = ("PutRule", "DescribeRule", "DeleteRule", "EnableRule", "DisableRule")
    _BY_RULE = ("PutTargets", "RemoveTargets", "ListTargetsByRule")

    def request_contexts(self, operation: str, params: Params) -> list[RequestContext]:
        if operation not in self._BY_NAME + self._BY_RULE:
            return super().request_contexts(operation, params)
        name = str(params["Name"] if operation in self._BY_NAME else params["Rule"])
        bus = _bus_name(params.get("EventBusName"))
        known = self.buses.get(bus)
        rule = known.rules.get(name) if known is not None else None
        request: dict[str, str] = {}
        if operation == "PutRule":
            request = {t["Key"]: t["Value"] for t in params.get("Tags", [])}
        keys = tag_context(rule.tags if rule is not None else None, request, list(request))
        return [RequestContext(self.action(operation), self._rule_arn(bus, name), keys)]

    def _authorize_list_rules(self, params: Params) -> list[RequestContext]:
        return [RequestContext(self.action("ListRules"), "*")]

    def _authorize_put_events(self, params: Params) -> list[RequestContext]:
        """One request context per event bus the entries name, whose events:source and events:detail-type are the
        values of that bus's entries: multivalued keys, so a policy limits them with ForAllValues:/ForAnyValue: and
        asks for them with Null. A bus whose entries name no source (or no detail type) has no such key at all.

        Undocumented, and the choice made here: the keys carry every entry's values, and one refused value refuses
        the whole call (AccessDeniedException) rather than failing that entry with NotAuthorizedForSourceException
        or NotAuthorizedForDetailTypeException, codes API_PutEventsResultEntry lists without saying when."""
        buses: dict[str, tuple[list[str], list[str]]] = {}
        for entry in params["Entries"]:
            sources, detail_types = buses.setdefault(self._bus_arn(entry.get("EventBusName")), ([], []))
            if entry.get("Source"):
                sources.append(entry["Source"])
            if entry.get("DetailType"):
                detail_types.append(entry["DetailType"])
        contexts = []
        for arn, (sources, detail_types) in buses.items():
            keys: dict[str, ContextValue] = {}
            if sources:
                keys["events:source"] = tuple(dict.fromkeys(sources))
            if detail_types:
                keys["events:detail-type"] = tuple(dict.fromkeys(detail_types))
            contexts.append(RequestContext(self.action("PutEvents"), arn, keys))
        return contexts

    def _authorize_create_event_bus(self, params: Params) -> list[RequestContext]:
        request = {t["Key"]: t["Value"] for t in params.get("Tags", [])}
        keys = tag_context(None, request, list(request))
        return [RequestContext(self.action("CreateEventBus"), self._bus_arn(params["Name"]), keys)]

    def _on_bus(self, operation: str, bus: str | None) -> list[RequestContext]:
        return [RequestContext(self.action(operation), self._bus_arn(bus))]

    def _authorize_describe_event_bus(self, params: Params) -> list[RequestContext]:
        return self._on_bus("DescribeEventBus", params.get("Name"))

    def _authorize_delete_event_bus(self, params: Params) -> list[RequestContext]:
        return self._on_bus("DeleteEventBus", params["Name"])

    def _authorize_put_permission(self, params: Params) -> list[RequestContext]:
        return self._on_bus("PutPermission", params.get("EventBusName"))

    def _authorize_remove_permission(self, params: Params) -> list[RequestContext]:
        return self._on_bus("RemovePermission", params.get("EventBusName"))

    def resource_policy(self, request: RequestContext) -> PolicyDocument | None:
        """The policy of the bus a request context acts on: the bus itself (PutEvents, the bus operations), or the bus
        of the rule it names (the user guide: a bus's policy may allow PutRule and PutTargets)."""
        prefix = f"arn:aws:events:{self.region}:{self.account_id}:"
        if not request.resource.startswith(prefix):
            return None
        kind, _, rest = request.resource.removeprefix(prefix).partition("/")
        if kind == "event-bus":
            name = rest
        elif kind == "rule":
            name = rest.split("/", 1)[0] if "/" in rest else DEFAULT_BUS
        else:
            return None
        with self.lock:
            bus = self.buses.get(name)
            return bus.policy_document if bus is not None else None

    def _bus_arn(self, bus: str | None) -> str:
        """The ARN of an event bus named by name or ARN (model: NonPartnerEventBusNameOrArn), default if None."""
        if bus is not None and bus.startswith("arn:"):
            return bus
        return f"arn:aws:events:{self.region}:{self.account_id}:event-bus/{bus or DEFAULT_BUS}"

    def _rule_arn(self, bus: str, name: str) -> str:
        """rule/<name> on the default bus, rule/<bus>/<name> on a custom one (Service Authorization Reference)."""
        where = name if bus == DEFAULT_BUS else f"{bus}/{name}"
        return f"arn:aws:events:{self.region}:{self.account_id}:rule/{where}"

    # -- event buses ---------------------------------------------------------------

    def _named_bus(self, named: str | None) -> EventBus:
        """The bus a request names by name or ARN (None: the default bus); a bus of another account or Region, or one
        that does not exist, answers ResourceNotFoundException."""
        name = _bus_name(named)
        bus = self.buses.get(name)
        if bus is None or (named is not None and named.startswith("arn:") and named != bus.arn):
            raise ServiceError("ResourceNotFoundException", f"Event bus {named} does not exist.")
        return bus

    def _create_event_bus(self, params: Params) -> Params:
        """API_CreateEventBus: a custom bus ("Custom event bus names can't contain the / character ... You can't use
        the name default for a custom event bus"); a name in use answers ResourceAlreadyExistsException. A partner bus
        (EventSourceName), KmsKeyIdentifier, DeadLetterConfig and LogConfig are not modelled: refused, naming them."""
        unmodelled = sorted({"EventSourceName", "KmsKeyIdentifier", "DeadLetterConfig", "LogConfig"} & set(params))
        if unmodelled:
            raise self.invalid(f"The emulator does not model {', '.join(unmodelled)} of CreateEventBus.")
        name = str(params["Name"])
        if name == DEFAULT_BUS or "/" in name:
            raise self.invalid(f"Event bus name {name} is not valid: not default, and no / in a custom bus's name.")
        if name in self.buses:
            raise ServiceError("ResourceAlreadyExistsException", f"Event bus {name} already exists.")
        if len(self.buses) > self.bus_quota:  # the default bus does not count (undocumented)
            raise ServiceError("LimitExceededException", f"The limit of {self.bus_quota} event buses is reached.")
        now = self.now()
        bus = EventBus(
            name,
            self._bus_arn(name),
            now,
            now,
            params.get("Description"),
            {t["Key"]: t["Value"] for t in params.get("Tags", [])},
        )
        self.buses[name] = bus
        answer: Params = {"EventBusArn": bus.arn}
        if bus.description is not None:
            answer["Description"] = bus.description
        return answer

    def _describe_event_bus(self, params: Params) -> Params:
        """API_DescribeEventBus: the bus named (the default one if Name is left out) with its policy, if it has one,
        as it was put."""
        bus = self._named_bus(params.get("Name"))
        answer: Params = {
            "Name": bus.name,
            "Arn": bus.arn,
            "CreationTime": bus.created,
            "LastModifiedTime": bus.modified,
        }
        if bus.description is not None:
            answer["Description"] = bus.description
        if bus.policy is not None:
            answer["Policy"] = bus.policy
        return answer

    def _delete_event_bus(self, params: Params) -> Params:
        """API_DeleteEventBus: "You can't delete your account's default event bus" (the code is undocumented:
        ValidationException); a bus with rules as `delete_bus_with_rules` says. The page lists no
        ResourceNotFoundException: a bus that does not exist is deleted already (undocumented)."""
        name = str(params["Name"])
        if name == DEFAULT_BUS:
            raise self.invalid("Cannot delete event bus default.")
        bus = self.buses.get(name)
        if bus is None:
            return {}
        if bus.rules and not self.delete_bus_with_rules:
            raise self.invalid(f"Event bus {name} still has rules: {', '.join(sorted(bus.rules))}.")
        del self.buses[name]
        return {}

    def _put_permission(self, params: Params) -> Params:
        """API_PutPermission. With Policy, "A JSON string that describes the permission policy statement. You can
        include a Policy parameter in the request instead of using the StatementId, Action, Principal, or Condition
        parameters": the bus's whole policy becomes that document. Without it, one Allow statement whose Sid is
        StatementId is added, or replaces the one of that Sid (undocumented), granting Principal (an account id, or
        "*") the Action on the bus, limited by Condition (its only Key aws:PrincipalOrgID, Type StringEquals:
        API_Condition); the exact statement EventBridge writes is undocumented. A policy over 10 KB answers
        PolicyLengthExceededException; one the evaluator could not judge (aws_emulator.iam) is refused."""
        bus = self._named_bus(params.get("EventBusName"))
        if "Policy" in params:
            if any(k in params for k in ("StatementId", "Action", "Principal", "Condition")):
                raise self.invalid("Policy excludes StatementId, Action, Principal and Condition.")
            text = str(params["Policy"])
            document = self._policy_document(text)
        else:
            missing = [k for k in ("StatementId", "Action", "Principal") if not params.get(k)]
            if missing:
                raise self.invalid(f"Parameter(s) {', '.join(missing)} must be specified without Policy.")
            statement = self._granted(bus, params)
            kept = [s for s in _statements(bus.policy_document) if s.get("Sid") != params["StatementId"]]
            text = json.dumps({"Version": "2012-10-17", "Statement": [*kept, statement]}, separators=(",", ":"))
            document = self._policy_document(text)
        bus.policy, bus.policy_document, bus.modified = text, document, self.now()
        return {}

    def _granted(self, bus: EventBus, params: Params) -> dict[str, Any]:
        principal = str(params["Principal"])
        statement: dict[str, Any] = {
            "Sid": params["StatementId"],
            "Effect": "Allow",
            "Principal": "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"},
            "Action": params["Action"],
            "Resource": bus.arn,
        }
        condition = params.get("Condition")
        if condition is not None:
            if condition["Type"] != "StringEquals" or condition["Key"] != "aws:PrincipalOrgID":
                raise self.invalid("Condition supports only Type StringEquals and Key aws:PrincipalOrgID.")
            statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": condition["Value"]}}
        return statement

    def _policy_document(self, text: str) -> PolicyDocument:
        size = len(text.encode())
        if size > MAX_POLICY_BYTES:
            raise ServiceError(
                "PolicyLengthExceededException", f"The policy has {size} bytes; the limit is {MAX_POLICY_BYTES}."
            )
        try:
            document = json.loads(text)
            check_policy(document, resource_based=True)
        except (ValueError, PolicyError) as error:
            raise self.invalid(f"The policy is not valid: {error}") from None
        if not isinstance(document, dict):
            raise self.invalid("The policy must be a JSON object.")
        return document

    def _remove_permission(self, params: Params) -> Params:
        """API_RemovePermission: the statement of StatementId goes, or every one with RemoveAllPermissions; a
        StatementId the policy lacks answers ResourceNotFoundException (the page lists it; when, it does not say).
        A policy left without statements is no policy (undocumented)."""
        bus = self._named_bus(params.get("EventBusName"))
        statements = _statements(bus.policy_document)
        if params.get("RemoveAllPermissions"):
            if params.get("StatementId"):
                raise self.invalid("RemoveAllPermissions excludes StatementId.")
            kept: list[Any] = []
        else:
            sid = params.get("StatementId")
            if not sid:
                raise self.invalid("Parameter StatementId must be specified without RemoveAllPermissions.")
            kept = [s for s in statements if s.get("Sid") != sid]
            if len(kept) == len(statements):
                raise ServiceError("ResourceNotFoundException", "Statement with the provided id does not exist.")
        if kept:
            document = {**dict(bus.policy_document or {}), "Statement": kept}
            bus.policy, bus.policy_document = json.dumps(document, separators=(",", ":")), document
        else:
            bus.policy = bus.policy_document = None
        bus.modified = self.now()
        return {}

    # -- rules ---------------------------------------------------------------------

    def _rules_of(self, params: Params) -> EventBus:
        return self._named_bus(params.get("EventBusName"))

    def _rule(self, bus: EventBus, name: str) -> Rule:
        rule = bus.rules.get(name)
        if rule is None:
            raise ServiceError("ResourceNotFoundException", f"Rule {name} does not exist on EventBus {bus.name}.")
        return rule

    def _put_rule(self, params: Params) -> Params:
        bus = self._rules_of(params)
        schedule, pattern = params.get("ScheduleExpression"), params.get("EventPattern")
        # API_PutRule: a rule needs an EventPattern or a ScheduleExpression.
        if schedule is None and pattern is None:
            raise self.invalid("Parameter(s) ScheduleExpression or EventPattern must be specified.")
        if schedule is not None and rate_seconds(schedule) is None and not CRON.fullmatch(schedule):
            raise self.invalid("Parameter ScheduleExpression is not valid.")
        # A schedule on a custom bus: API_PutRule is silent; the console refuses one ("Schedule rule is not supported
        # when custom or partner event bus is selected"), and so does the emulator (undocumented for the API).
        if schedule is not None and bus.name != DEFAULT_BUS:
            raise self.invalid("ScheduleExpression is supported only on the default event bus.")
        parsed: dict[str, Any] | None = None
        if pattern is not None:
            # What `parse_pattern` refuses, and why, is in aws_emulator.event_patterns.
            parsed, problem = parse_pattern(pattern)
            if problem:
                raise ServiceError("InvalidEventPatternException", f"Event pattern is not valid. Reason: {problem}")
        name = params["Name"]
        existing = bus.rules.get(name)
        if existing is not None:
            self._settle(existing)
        if existing is None and len(bus.rules) >= self.rule_quota:
            raise ServiceError("LimitExceededException", f"The limit of {self.rule_quota} rules is reached.")
        # API_PutRule: an update replaces the rule with what this call specifies (omitted
        # members become empty); targets are kept. State defaults to ENABLED.
        restart = existing is None or existing.schedule != schedule
        rule = Rule(
            name=name,
            arn=self._rule_arn(bus.name, name),
            state=params.get("State", "ENABLED"),
            schedule=schedule,
            event_pattern=pattern,
            description=params.get("Description"),
            role_arn=params.get("RoleArn"),
            anchor=self.now() if restart or existing is None else existing.anchor,
            tags={t["Key"]: t["Value"] for t in params.get("Tags", [])},
            targets=existing.targets if existing else {},
            fired_periods=0 if restart or existing is None else existing.fired_periods,
            pattern=parsed,
            bus=bus.name,
        )
        bus.rules[name] = rule
        return {"RuleArn": rule.arn}

    def _describe_rule(self, params: Params) -> Params:
        bus = self._rules_of(params)
        rule = self._rule(bus, params["Name"])
        return {**rule.to_api(self.account_id), "CreatedBy": self.account_id}

    def _list_rules(self, params: Params) -> Params:
        bus = self._rules_of(params)
        prefix = params.get("NamePrefix", "")
        rules = sorted((r for r in bus.rules.values() if r.name.startswith(prefix)), key=lambda r: r.name)
        # Order and default page size are undocumented: by name, 100 (Limit's maximum).
        query = {"NamePrefix": prefix, "Limit": params.get("Limit"), "EventBusName": bus.name}
        chunk, token = self.page(rules, params.get("NextToken"), params.get("Limit", 100), query)
        answer: Params = {"Rules": [r.to_api(self.account_id) for r in chunk]}
        if token:
            answer["NextToken"] = token
        return answer

    def _delete_rule(self, params: Params) -> Params:
        bus = self._rules_of(params)
        rule = bus.rules.get(params["Name"])
        # API_DeleteRule: "If you call delete rule multiple times for the same rule, all calls
        # will succeed."
        if rule is None:
            return {}
        # API_DeleteRule: "Before you can delete the rule, you must remove all targets, using
        # RemoveTargets." The code it answers otherwise is not on that page.
        if rule.targets:
            raise self.invalid("Rule can't be deleted since it has targets.")
        del bus.rules[rule.name]
        return {}

    def _enable_rule(self, params: Params) -> Params:
        """API_EnableRule: "If the rule does not exist, the operation fails" (ResourceNotFoundException).

        The page warns that a newly enabled rule may take "a short period of time" to start
        matching events; for schedules that delay is undocumented and not modelled. The schedule
        keeps its anchor: an enabled rule fires on the period boundaries counted from its
        creation, not from the EnableRule (undocumented).
        """
        rule = self._rule(self._rules_of(params), params["Name"])
        self._settle(rule)
        rule.state = "ENABLED"
        return {}

    def _disable_rule(self, params: Params) -> Params:
        """API_DisableRule: "When you disable a rule, the rule does not match any events and is not
        triggered"; a missing rule answers ResourceNotFoundException. `due` skips DISABLED rules."""
        rule = self._rule(self._rules_of(params), params["Name"])
        self._settle(rule)
        rule.state = "DISABLED"
        return {}

    def _put_targets(self, params: Params) -> Params:
        rule = self._rule(self._rules_of(params), params["Rule"])
        self._settle(rule)
        incoming: dict[str, Params] = {}
        for target in params["Targets"]:
            # API Target: Input is "Valid JSON text passed to the target"; a JSON path the emulator does not
            # model is refused too (aws_emulator.event_patterns).
            problem = input_problem(target)
            if problem:
                raise self.invalid(f"Target {target['Id']}: {problem}.")
            # API Target: Input, InputPath and InputTransformer exclude each other (the
            # error code is undocumented).
            if sum(k in target for k in ("Input", "InputPath", "InputTransformer")) > 1:
                raise self.invalid(f"Target {target['Id']}: only one of Input, InputPath, InputTransformer.")
            incoming[target["Id"]] = dict(target)
        # API_PutTargets: "Adds the specified targets to the specified rule, or updates the
        # targets if they are already associated with the rule."
        if len(rule.targets.keys() | incoming.keys()) > self.targets_per_rule:
            raise ServiceError("LimitExceededException", f"A rule can have at most {self.targets_per_rule} targets.")
        rule.targets.update(incoming)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def _remove_targets(self, params: Params) -> Params:
        rule = self._rule(self._rules_of(params), params["Rule"])
        self._settle(rule)
        for target_id in params["Ids"]:
            rule.targets.pop(target_id, None)  # an id the rule lacks is ignored (undocumented)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def _list_targets_by_rule(self, params: Params) -> Params:
        rule = self._rule(self._rules_of(params), params["Rule"])
        targets: list[Any] = list(rule.targets.values())
        query = {"Rule": rule.name, "Limit": params.get("Limit"), "EventBusName": rule.bus}
        chunk, token = self.page(targets, params.get("NextToken"), params.get("Limit", 100), query)
        answer: Params = {}
        # The model gives Targets a minimum length of 1, so a rule without targets answers
        # no Targets member here (what the service sends then is undocumented).
        if chunk:
            answer["Targets"] = chunk
        if token:
            answer["NextToken"] = token
        return answer

    def _put_events(self, params: Params) -> Params:
        """API_PutEvents: each entry accepted gets an EventId; one that is not gets an ErrorCode and ErrorMessage in
        its place, and the call still succeeds ("Entries" answers the request's entries in order; eb-putevents.html,
        https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevents.html). An accepted event goes to every
        ENABLED rule of its bus whose pattern it matches, one delivery per target.

        API_PutEventsRequestEntry: EventBusName is "The name or ARN of the event bus to receive the event"; Detail,
        DetailType and Source "are required for EventBridge to successfully send
        an event to an event bus. If you include event entries in a request that do not include each of those
        properties, EventBridge fails that entry. If you submit a request in which none of the entries have each of
        these properties, EventBridge fails the entire request." Detail is "A valid JSON object". Which of the codes
        API_PutEventsResultEntry lists an entry gets is undocumented; here MalformedDetail ("The JSON provided is
        not valid") for a Detail that is not a JSON object, and InvalidArgument ("A specified parameter is not
        valid") for a missing member and for an event bus that does not exist. The code of a request failed whole
        (no complete entry, or entries over 256 KB in all) is undocumented too: ValidationException, as for the
        other constraints.
        """
        entries: list[Params] = params["Entries"]
        if not any(all(e.get(k) for k in ("Source", "DetailType", "Detail")) for e in entries):
            raise self.invalid("No entry has all of Source, DetailType and Detail.")
        size = sum(_entry_size(e) for e in entries)
        if size > MAX_ENTRIES_BYTES:
            raise self.invalid(f"The entries total {size} bytes; the limit is {MAX_ENTRIES_BYTES}.")
        results: list[Params] = []
        for entry in entries:
            failure = self._entry_failure(entry)
            results.append(failure if failure else {"EventId": self._accept(entry)})
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}

    def _entry_failure(self, entry: Params) -> Params | None:
        missing = [k for k in ("Source", "DetailType", "Detail") if not entry.get(k)]
        if missing:
            return _failed("InvalidArgument", f"Parameter(s) {', '.join(missing)} must be specified.")
        try:
            detail = json.loads(entry["Detail"])
        except ValueError:
            detail = None
        if not isinstance(detail, dict):
            return _failed("MalformedDetail", "Detail is malformed: it must be a JSON object.")
        try:
            self._named_bus(entry.get("EventBusName"))
        except ServiceError:
            return _failed("InvalidArgument", f"Event bus {entry.get('EventBusName')} does not exist.")
        return None

    def _accept(self, entry: Params) -> str:
        """Record one event, and deliver it to the rules it matches; its EventId. Time, when given, is the event's
        time (API_PutEventsRequestEntry: "If no time stamp is provided, the time stamp of the PutEvents call is
        used")."""
        now = self.now()
        when = entry.get("Time")
        at = now if when is None else _epoch(when)
        detail = json.loads(entry["Detail"])
        bus = self._named_bus(entry.get("EventBusName"))
        event = self._event(entry["Source"], entry["DetailType"], detail, list(entry.get("Resources", [])), at)
        self.events_put.append(
            PutEvent(
                event["id"],
                now,
                entry["Source"],
                entry["DetailType"],
                detail,
                tuple(event["resources"]),
                self.caller,
                event,
                bus.name,
            )
        )
        # A rule matches the events of its own bus only (the user guide's "Event buses": "You associate a rule with a
        # specific event bus, so the rule only applies to events received by that event bus").
        for rule in bus.rules.values():
            # API_DisableRule: a disabled rule "does not match any events".
            if rule.state != "DISABLED" and rule.pattern is not None and matches(rule.pattern, event):
                delivered = self._deliver(rule, event, now)
                self.deliveries += delivered
                self._held += delivered
        return str(event["id"])


def _failed(code: str, message: str) -> Params:
    return {"ErrorCode": code, "ErrorMessage": message}


def _entry_size(entry: Params) -> int:
    """The size of one entry as the user guide counts it: 14 bytes for Time, and the UTF-8 bytes of Source,
    DetailType, Detail and each of Resources."""
    texts = [entry.get(k) or "" for k in ("Source", "DetailType", "Detail")] + list(entry.get("Resources", []))
    return (14 if entry.get("Time") is not None else 0) + sum(len(t.encode()) for t in texts)


def _epoch(value: Any) -> float:
    """A request timestamp (epoch seconds, as botocore sends them in AWS JSON, or an ISO 8601 text) in seconds."""
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    return parse_timestamp(str(value)).timestamp()


def _iso(at: float) -> str:
    """An event's time, as events show it: 2017-12-22T18:43:48Z."""
    return datetime.datetime.fromtimestamp(at, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bus_name(named: str | None) -> str:
    """The name of a bus given by name or ARN (arn:...:event-bus/<name>); None is the default bus."""
    if not named:
        return DEFAULT_BUS
    return named.rsplit("event-bus/", 1)[-1] if named.startswith("arn:") else named


def _statements(policy: PolicyDocument | None) -> list[Any]:
    if policy is None:
        return []
    raw = policy.get("Statement")
    return [raw] if isinstance(raw, dict) else list(raw or [])
