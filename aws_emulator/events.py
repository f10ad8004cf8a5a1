"""An in-memory Amazon EventBridge (rules and targets on the default bus) with schedules on a virtual clock.

Shapes are botocore's `events` 2015-10-07 model. Sources: the EventBridge API
reference (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_<Operation>.html),
the user guide's "Schedule expressions" and quotas pages; "undocumented" marks a
choice made here. Only what the handler and the lifecycle driver need is emulated.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from aws_emulator.iam import RequestContext, tag_context
from aws_emulator.service import Backend, Clock, Params, ServiceError

DEFAULT_BUS = "default"
# User guide, schedule expressions: rate(value unit), unit minute(s), hour(s) or day(s);
# the unit is singular for 1 and plural otherwise.
RATE = re.compile(r"rate\((?P<value>[1-9][0-9]*) (?P<unit>minute|minutes|hour|hours|day|days)\)")
CRON = re.compile(r"cron\((\S+ ){5}\S+\)")
SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


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
class Firing:
    """One delivery a schedule makes: the rule fired at `at` for this target."""

    rule: str
    at: float
    target_id: str
    arn: str
    input: str | None
    target: Params


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

    def to_api(self, account_id: str) -> Params:
        answer: Params = {"Name": self.name, "Arn": self.arn, "State": self.state, "EventBusName": DEFAULT_BUS}
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


class EventBridgeBackend(Backend):
    """Rules and targets of the default event bus, and `due(now)` to fire rate schedules.

    Quotas (EventBridge user guide, quotas): 300 rules per event bus, 5 targets per rule.
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
        check_responses: bool = True,
    ) -> None:
        super().__init__(clock, account_id, region, check_responses)
        self.rule_quota = rule_quota
        self.targets_per_rule = targets_per_rule
        self.rules: dict[str, Rule] = {}
        # Deliveries that fell due before a rule changed state or schedule, not yet returned by `due`.
        self._held: list[Firing] = []

    # -- schedules -----------------------------------------------------------------

    def due(self, now: float | None = None) -> list[Firing]:
        """Every delivery due up to `now` (default: the clock) not returned before, oldest first.

        A rate schedule starts when the rule is created (user guide, schedule expressions),
        so a rule made at t fires at t + period, t + 2 * period, ...; a period that passed
        while the rule was DISABLED or had no target delivers nothing. Changing the
        expression restarts the schedule (undocumented). A state or schedule change settles
        the periods before it first, so a rule enabled again does not fire for the periods
        it spent disabled, however late `due` is asked.
        """
        with self.lock:
            moment = self.now() if now is None else now
            firings = [f for f in self._held if f.at <= moment]
            self._held = [f for f in self._held if f.at > moment]
            for rule in self.rules.values():
                firings += self._firings(rule, moment)
            return sorted(firings, key=lambda f: (f.at, f.rule, f.target_id))

    def _firings(self, rule: Rule, moment: float) -> list[Firing]:
        """The rule's deliveries for the periods up to `moment` not counted before; counts them."""
        period = rule.period()
        if period is None:
            return []  # event patterns and cron(...) schedules are not fired
        reached = int((moment - rule.anchor) // period)
        firings: list[Firing] = []
        if rule.state != "DISABLED":
            for index in range(rule.fired_periods + 1, reached + 1):
                at = rule.anchor + index * period
                firings += [
                    Firing(rule.name, at, t["Id"], t["Arn"], t.get("Input"), dict(t)) for t in rule.targets.values()
                ]
        rule.fired_periods = max(rule.fired_periods, reached)
        return firings

    def _settle(self, rule: Rule) -> None:
        """Before a rule changes: what fell due under its old state and schedule is kept for `due`."""
        self._held += self._firings(rule, self.now())

    def next_due(self) -> float | None:
        """When the next delivery happens (an enabled rate rule with a target), or None."""
        with self.lock:
            times = [
                rule.anchor + (rule.fired_periods + 1) * period
                for rule in self.rules.values()
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
    # aws:ResourceTag; PutRule also has aws:RequestTag and aws:TagKeys. ListRules has no resource types. The
    # events: condition keys (creatorAccount, ManagedBy, detail-type, ...) are not modelled.

    _BY_NAME = ("PutRule", "DescribeRule", "DeleteRule", "EnableRule", "DisableRule")
    _BY_RULE = ("PutTargets", "RemoveTargets", "ListTargetsByRule")

    def request_contexts(self, operation: str, params: Params) -> list[RequestContext]:
        if operation not in self._BY_NAME + self._BY_RULE:
            return super().request_contexts(operation, params)
        name = str(params["Name"] if operation in self._BY_NAME else params["Rule"])
        bus = str(params.get("EventBusName") or DEFAULT_BUS).rsplit("event-bus/", 1)[-1]
        where = name if bus == DEFAULT_BUS else f"{bus}/{name}"
        rule = self.rules.get(name) if bus == DEFAULT_BUS else None
        request: dict[str, str] = {}
        if operation == "PutRule":
            request = {t["Key"]: t["Value"] for t in params.get("Tags", [])}
        keys = tag_context(rule.tags if rule is not None else None, request, list(request))
        arn = f"arn:aws:events:{self.region}:{self.account_id}:rule/{where}"
        return [RequestContext(self.action(operation), arn, keys)]

    def _authorize_list_rules(self, params: Params) -> list[RequestContext]:
        return [RequestContext(self.action("ListRules"), "*")]

    # -- operations ----------------------------------------------------------------

    def _bus(self, params: Params) -> None:
        bus = params.get("EventBusName")
        default_arn = f"arn:aws:events:{self.region}:{self.account_id}:event-bus/{DEFAULT_BUS}"
        if bus not in (None, DEFAULT_BUS, default_arn):
            raise ServiceError("ResourceNotFoundException", f"Event bus {bus} does not exist.")

    def _rule(self, name: str) -> Rule:
        rule = self.rules.get(name)
        if rule is None:
            raise ServiceError("ResourceNotFoundException", f"Rule {name} does not exist on EventBus {DEFAULT_BUS}.")
        return rule

    def _put_rule(self, params: Params) -> Params:
        self._bus(params)
        schedule, pattern = params.get("ScheduleExpression"), params.get("EventPattern")
        # API_PutRule: a rule needs an EventPattern or a ScheduleExpression.
        if schedule is None and pattern is None:
            raise self.invalid("Parameter(s) ScheduleExpression or EventPattern must be specified.")
        if schedule is not None and rate_seconds(schedule) is None and not CRON.fullmatch(schedule):
            raise self.invalid("Parameter ScheduleExpression is not valid.")
        if pattern is not None:
            try:
                valid = isinstance(json.loads(pattern), dict)
            except ValueError:
                valid = False
            if not valid:
                raise ServiceError("InvalidEventPatternException", "Event pattern is not valid.")
        name = params["Name"]
        existing = self.rules.get(name)
        if existing is not None:
            self._settle(existing)
        if existing is None and len(self.rules) >= self.rule_quota:
            raise ServiceError("LimitExceededException", f"The limit of {self.rule_quota} rules is reached.")
        # API_PutRule: an update replaces the rule with what this call specifies (omitted
        # members become empty); targets are kept. State defaults to ENABLED.
        restart = existing is None or existing.schedule != schedule
        rule = Rule(
            name=name,
            arn=f"arn:aws:events:{self.region}:{self.account_id}:rule/{name}",
            state=params.get("State", "ENABLED"),
            schedule=schedule,
            event_pattern=pattern,
            description=params.get("Description"),
            role_arn=params.get("RoleArn"),
            anchor=self.now() if restart or existing is None else existing.anchor,
            tags={t["Key"]: t["Value"] for t in params.get("Tags", [])},
            targets=existing.targets if existing else {},
            fired_periods=0 if restart or existing is None else existing.fired_periods,
        )
        self.rules[name] = rule
        return {"RuleArn": rule.arn}

    def _describe_rule(self, params: Params) -> Params:
        self._bus(params)
        rule = self._rule(params["Name"])
        return {**rule.to_api(self.account_id), "CreatedBy": self.account_id}

    def _list_rules(self, params: Params) -> Params:
        self._bus(params)
        prefix = params.get("NamePrefix", "")
        rules = sorted((r for r in self.rules.values() if r.name.startswith(prefix)), key=lambda r: r.name)
        # Order and default page size are undocumented: by name, 100 (Limit's maximum).
        query = {"NamePrefix": prefix, "Limit": params.get("Limit")}
        chunk, token = self.page(rules, params.get("NextToken"), params.get("Limit", 100), query)
        answer: Params = {"Rules": [r.to_api(self.account_id) for r in chunk]}
        if token:
            answer["NextToken"] = token
        return answer

    def _delete_rule(self, params: Params) -> Params:
        self._bus(params)
        rule = self.rules.get(params["Name"])
        # API_DeleteRule: "If you call delete rule multiple times for the same rule, all calls
        # will succeed."
        if rule is None:
            return {}
        # API_DeleteRule: "Before you can delete the rule, you must remove all targets, using
        # RemoveTargets." The code it answers otherwise is not on that page.
        if rule.targets:
            raise self.invalid("Rule can't be deleted since it has targets.")
        del self.rules[rule.name]
        return {}

    def _enable_rule(self, params: Params) -> Params:
        """API_EnableRule: "If the rule does not exist, the operation fails" (ResourceNotFoundException).

        The page warns that a newly enabled rule may take "a short period of time" to start
        matching events; for schedules that delay is undocumented and not modelled. The schedule
        keeps its anchor: an enabled rule fires on the period boundaries counted from its
        creation, not from the EnableRule (undocumented).
        """
        self._bus(params)
        rule = self._rule(params["Name"])
        self._settle(rule)
        rule.state = "ENABLED"
        return {}

    def _disable_rule(self, params: Params) -> Params:
        """API_DisableRule: "When you disable a rule, the rule does not match any events and is not
        triggered"; a missing rule answers ResourceNotFoundException. `due` skips DISABLED rules."""
        self._bus(params)
        rule = self._rule(params["Name"])
        self._settle(rule)
        rule.state = "DISABLED"
        return {}

    def _put_targets(self, params: Params) -> Params:
        self._bus(params)
        rule = self._rule(params["Rule"])
        self._settle(rule)
        incoming: dict[str, Params] = {}
        for target in params["Targets"]:
            text = target.get("Input")
            if text is not None:
                # API Target: Input is "Valid JSON text passed to the target".
                try:
                    json.loads(text)
                except ValueError:
                    raise self.invalid(f"Target {target['Id']}: Input is not valid JSON.") from None
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
        self._bus(params)
        rule = self._rule(params["Rule"])
        self._settle(rule)
        for target_id in params["Ids"]:
            rule.targets.pop(target_id, None)  # an id the rule lacks is ignored (undocumented)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def _list_targets_by_rule(self, params: Params) -> Params:
        self._bus(params)
        rule = self._rule(params["Rule"])
        targets: list[Any] = list(rule.targets.values())
        query = {"Rule": rule.name, "Limit": params.get("Limit")}
        chunk, token = self.page(targets, params.get("NextToken"), params.get("Limit", 100), query)
        answer: Params = {}
        # The model gives Targets a minimum length of 1, so a rule without targets answers
        # no Targets member here (what the service sends then is undocumented).
        if chunk:
            answer["Targets"] = chunk
        if token:
            answer["NextToken"] = token
        return answer
