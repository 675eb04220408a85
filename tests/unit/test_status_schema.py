"""docs/status.schema.json: a valid JSON Schema, closed, versioned (every `status --json` of the
namespace tiers is validated against it by tests/sandbox.py)."""

from __future__ import annotations

import json

import pytest

from netguard.commands import status
from tests.sandbox import STATUS_SCHEMA, jsonschema, validate_status

EMPTY = {
    "version": status.SCHEMA_VERSION,
    "interfaces": {},
    "routes": {"inet": {"installed": 0, "extra": []}, "inet6": {"installed": 0, "extra": []}},
    "cache": {},
    "problems": [],
    "rules": {"implementation": "ifupdown", "chosen": "default", "not_rendered": []},
}


def test_the_schema_is_a_valid_2020_12_schema_of_the_version_status_prints():
    schema = json.loads(STATUS_SCHEMA.read_text())
    jsonschema().Draft202012Validator.check_schema(schema)
    assert schema["properties"]["version"]["const"] == status.SCHEMA_VERSION
    validate_status(json.dumps(EMPTY))


@pytest.mark.parametrize(
    "change",
    [
        {"version": status.SCHEMA_VERSION + 1},
        {"surprise": 1},
        {"interfaces": {"eth0": {"exists": True}}},
        {"cache": {"AS1": {"source": "x"}}},
        {"routes": {"inet7": {"installed": 0, "extra": []}}},
    ],
    ids=["version", "unknown key", "interface fields", "cache fields", "family"],
)
def test_the_schema_is_closed_so_a_change_to_the_output_fails_a_test(change):
    with pytest.raises(jsonschema().ValidationError):
        validate_status(json.dumps({**EMPTY, **change}))
