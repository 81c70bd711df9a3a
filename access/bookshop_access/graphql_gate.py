"""A GraphQL request on its way to the webserver: each mutation in it checked against the caller's
role (policy.py), the runs it launches tagged with the caller's name, the outcome recorded.

Queries pass untouched. The request is parsed with graphql-core (Dagster's own GraphQL library);
what the webserver receives is what was checked: the JSON re-serialised from what was parsed.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    parse,
    value_from_ast_untyped,
)

from bookshop_access.identity import Caller
from bookshop_access.lookups import Workspace
from bookshop_access.policy import MUTATIONS, UNKNOWN, Rule, refusal, values_at
from bookshop_access.store import Store

LAUNCHED_BY = "bookshop/launched_by"


class BadRequest(Exception):
    pass


@dataclass
class Call:
    """One mutation of a request: what it acts on and, once checked, why it is refused."""

    alias: str
    mutation: str
    rule: Rule | None
    arguments: dict[str, Any]
    locations: set[str] = field(default_factory=set)
    targets: list[str] = field(default_factory=list)
    refused: str | None = None


def mutations_of(body: dict[str, Any]) -> list[tuple[FieldNode, dict[str, Any]]]:
    """The top-level fields of the mutation the request runs (fragments expanded), with its variables
    (their defaults filled in); [] for a query. A document without the word `mutation` holds no
    mutation (GraphQL has no way to spell a keyword otherwise): the UI's many large queries pass
    without being parsed here; the webserver parses them anyway."""
    if "mutation" not in str(body.get("query") or ""):
        return []
    try:
        document = parse(body.get("query") or "")
    except GraphQLError as error:
        raise BadRequest(f"GraphQL syntax error: {error.message}") from error
    operations = [each for each in document.definitions if isinstance(each, OperationDefinitionNode)]
    name = body.get("operationName")
    chosen = [each for each in operations if not name or (each.name and each.name.value == name)]
    if len(chosen) != 1:
        raise BadRequest("one operation, or operationName naming one")
    operation = chosen[0]
    if operation.operation is not OperationType.MUTATION:
        return []
    variables = dict(body.get("variables") or {})
    for definition in operation.variable_definitions:
        if definition.variable.name.value not in variables and definition.default_value is not None:
            variables[definition.variable.name.value] = value_from_ast_untyped(definition.default_value)
    fragments = {each.name.value: each for each in document.definitions if isinstance(each, FragmentDefinitionNode)}
    return [(each, variables) for each in _fields(operation.selection_set.selections, fragments, set())]


def _fields(selections, fragments, seen: set[str]) -> list[FieldNode]:
    found = []
    for selection in selections:
        if isinstance(selection, FieldNode):
            found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            found += _fields(selection.selection_set.selections, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = fragments.get(selection.name.value)
            if fragment is None:
                raise BadRequest(f"unknown fragment {selection.name.value}")
            found += _fields(fragment.selection_set.selections, fragments, seen | {selection.name.value})
    return found


def call_of(node: FieldNode, variables: dict[str, Any]) -> Call:
    arguments = {each.name.value: value_from_ast_untyped(each.value, variables) for each in node.arguments}
    alias = (node.alias or node.name).value
    return Call(alias, node.name.value, MUTATIONS.get(node.name.value), arguments)


def look_up(call: Call, workspace: Workspace) -> None:
    """Fills in the locations and targets of what the call acts on; what is named but not found
    counts as a location nobody but the admin acts on."""
    rule = call.rule
    if rule is None:
        return
    at = lambda paths: [value for path in paths for value in values_at(call.arguments, path)]  # noqa: E731
    call.locations |= set(at(rule.locations))
    call.targets += [str(name) for name in at(rule.names)]
    for run_id in at(rule.runs):
        location, job = workspace.run(run_id)
        call.locations.add(location or UNKNOWN)
        call.targets.append(f"{job} run {run_id}" if job else f"run {run_id}")
    for backfill_id in at(rule.backfills):
        call.locations |= workspace.backfill(backfill_id) or {UNKNOWN}
        call.targets.append(f"backfill {backfill_id}")
    keys = at(rule.assets)
    if keys:
        call.locations |= workspace.assets(keys) or {UNKNOWN}
        call.targets += ["/".join(key.get("path", [])) for key in keys]
    ids = at(rule.instigators)
    if ids:
        instigators = workspace.instigators(ids)
        call.locations |= set(instigators.values()) or {UNKNOWN}
        call.targets += list(instigators) or ids


def add_launcher(call: Call, node: FieldNode, variables: dict[str, Any], name: str) -> None:
    """Tags the runs the call launches with who launched them, in the request's variables (which
    is how the UI and Dagster's Python client pass them); an inline value is refused."""
    if call.rule is None or not call.rule.tags:
        return
    for argument in node.arguments:
        paths = [path for path in call.rule.tags if path.split(".")[0] == argument.name.value]
        if not paths:
            continue
        if not isinstance(argument.value, VariableNode):
            call.refused = f"pass {argument.name.value} as a variable, so that its runs carry who launched them"
            return
        value = variables.setdefault(argument.value.name.value, {})
        for path in paths:
            _tag(value, path.split(".")[1:], name)


def _tag(value: Any, steps: list[str], name: str) -> None:
    if isinstance(value, list) and steps and steps[0] == "*":
        for item in value:
            _tag(item, steps[1:], name)
        return
    if not isinstance(value, dict):
        return
    if len(steps) == 1:
        tags = [tag for tag in value.get(steps[0]) or [] if tag.get("key") != LAUNCHED_BY]
        value[steps[0]] = [*tags, {"key": LAUNCHED_BY, "value": name}]
        return
    if value.get(steps[0]) is None:
        value[steps[0]] = {}
    _tag(value[steps[0]], steps[1:], name)


def outcome(answer: dict[str, Any], alias: str) -> tuple[str, str]:
    """(ok | failed, what the answer says) for one mutation of a webserver's answer."""
    data = (answer.get("data") or {}).get(alias)
    errors = [error.get("message", "") for error in answer.get("errors") or []]
    if data is None or data is False:
        return "failed", "; ".join(errors)[:500]
    if isinstance(data, dict):
        kind = data.get("__typename", "")
        if kind.endswith(("Error", "Failure", "Invalid", "NotFound", "Conflict")):
            return "failed", f"{kind}: {data.get('message', '')}".strip(": ")
        run_id = (data.get("run") or {}).get("runId") if isinstance(data.get("run"), dict) else None
        return "ok", f"{kind} run {run_id}" if run_id else kind
    return "ok", ""


def checked_calls(body: dict[str, Any], caller: Caller, workspace: Workspace) -> list[Call]:
    """The request's mutations, each looked up and decided; launches tagged in `body`'s variables."""
    nodes = mutations_of(body)
    calls = []
    for node, variables in nodes:
        call = call_of(node, variables)
        look_up(call, workspace)
        call.refused = refusal(caller.person, call.mutation, call.rule, call.locations)
        if call.refused is None:
            add_launcher(call, node, variables, caller.person.name)
        body["variables"] = variables
        calls.append(call)
    return calls


def record(store: Store, caller: Caller, calls: list[Call], answer: dict[str, Any] | None) -> None:
    for call in calls:
        if call.rule is not None and not call.rule.action:
            continue
        if call.refused:
            result, detail = "refused", call.refused
        else:
            result, detail = outcome(answer or {}, call.alias)
        store.record(
            caller.person.name,
            caller.via,
            call.rule.action if call.rule else call.mutation,
            result,
            location=", ".join(sorted(call.locations)),
            target=", ".join(call.targets),
            detail=detail,
        )


def refused_answer(calls: list[Call]) -> dict[str, Any]:
    """The answer to a request with a refused mutation: nothing of it ran. Each refusal is the
    mutation's UnauthorizedError (as Dagster's read-only webserver answers) and a GraphQL error
    saying why, which the UI shows and Dagster's Python client raises."""
    refused = [call for call in calls if call.refused]
    return {
        "data": {call.alias: {"__typename": "UnauthorizedError", "message": call.refused} for call in refused},
        "errors": [{"message": call.refused, "path": [call.alias]} for call in refused],
    }


def encoded(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()
