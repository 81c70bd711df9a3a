"""The login service's list of mutations (access/bookshop_access/policy.py) against the pinned
Dagster's GraphQL schema, and how a request's mutations are read, decided and tagged."""

import pytest
from bookshop_access.graphql_gate import LAUNCHED_BY, BadRequest, Call, add_launcher, call_of, mutations_of
from bookshop_access.policy import MUTATIONS, Person, refusal
from dagster_graphql.schema import create_schema

SCHEMA = create_schema().graphql_schema
ALICE = Person("alice", "operator", ("bookshop",))


def test_role_rules_list_every_mutation_of_the_schema_once_and_nothing_else():
    """An upgrade of Dagster that brings a mutation fails here until the mutation is given a rule;
    until then the login service refuses it to all but the admin."""
    assert sorted(SCHEMA.mutation_type.fields) == sorted(MUTATIONS)


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_each_role_rule_names_arguments_the_mutation_has(mutation: str):
    rule = MUTATIONS[mutation]
    arguments = SCHEMA.mutation_type.fields[mutation].args
    paths = rule.locations + rule.runs + rule.backfills + rule.assets + rule.instigators + rule.names + rule.tags
    assert {path.split(".")[0] for path in paths} <= set(arguments), mutation


def test_a_role_decides_per_location():
    assert refusal(ALICE, "startSchedule", MUTATIONS["startSchedule"], {"bookshop"}) is None
    refused = refusal(ALICE, "startSchedule", MUTATIONS["startSchedule"], {"warehouse"})
    assert refused == "alice is an operator of bookshop, not of warehouse"
    assert "whole instance" in refusal(ALICE, "setConcurrencyLimit", MUTATIONS["setConcurrencyLimit"], set())
    assert "changes nothing" in refusal(Person("vic", "viewer"), "startSchedule", MUTATIONS["startSchedule"], set())
    assert "not on the list" in refusal(ALICE, "somethingNew", None, {"bookshop"})
    assert refusal(Person("root", "admin"), "somethingNew", None, set()) is None
    everywhere = Person("ops", "operator", ("*",))
    assert refusal(everywhere, "startSchedule", MUTATIONS["startSchedule"], {"warehouse"}) is None
    assert "not found" in refusal(everywhere, "terminateRun", MUTATIONS["terminateRun"], set())


def calls(query: str, **variables) -> list[Call]:
    return [call_of(node, found) for node, found in mutations_of({"query": query, "variables": variables})]


def test_every_mutation_of_a_request_is_found_through_aliases_and_fragments():
    query = """
    mutation Toggle($s: ScheduleSelector!) { ...Both other: stopSensor(id: "abc") }
    fragment Both on Mutation {
      first: startSchedule(scheduleSelector: $s) { __typename }
      ... on Mutation { setNuxSeen }
    }
    """
    found = calls(query, s={"repositoryLocationName": "warehouse", "scheduleName": "nightly"})
    assert [(call.alias, call.mutation) for call in found] == [
        ("first", "startSchedule"), ("setNuxSeen", "setNuxSeen"), ("other", "stopSensor"),
    ]  # fmt: skip
    assert found[0].arguments["scheduleSelector"]["repositoryLocationName"] == "warehouse"
    assert calls("query { version }") == []
    for bad in ("mutation {", "mutation A { setNuxSeen } mutation B { setNuxSeen }"):
        with pytest.raises(BadRequest):
            mutations_of({"query": bad})


def test_a_launch_is_tagged_with_who_launched_it_and_a_forged_tag_replaced():
    query = "mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename } }"
    variables = {
        "p": {"selector": {"jobName": "j"}, "executionMetadata": {"tags": [{"key": LAUNCHED_BY, "value": "bob"}]}}
    }
    [(node, found)] = mutations_of({"query": query, "variables": variables})
    call = call_of(node, found)
    add_launcher(call, node, found, "alice")
    assert found["p"]["executionMetadata"]["tags"] == [{"key": LAUNCHED_BY, "value": "alice"}]
    inline = 'mutation { launchRun(executionParams: {selector: {jobName: "j"}}) { __typename } }'
    [(node, found)] = mutations_of({"query": inline})
    call = call_of(node, found)
    add_launcher(call, node, found, "alice")
    assert "as a variable" in call.refused
