"""The fault catalogue is data and is checked as data: every rule a server can break has a fault, and
every fault is well-formed enough to break what it says it breaks."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest

from cbconform import contracts as contracts_module
from cbconform.server import faults, faulty
from cbconform.server.hooks import POINTS

C = contracts_module.load()
CATALOGUE = faults.catalogue()
FAULT_MODULES = {"faults.py", "faulty.py", "fault_middleware.py", "hooks.py"}
HANDLER_SOURCES = {
    p.name: p.read_text(encoding="utf-8")
    for p in Path(faults.__file__).parent.glob("*.py")
    if p.name not in FAULT_MODULES
}
EDIT_ACTIONS = {"remove", "set", "pad", "add", "scale", "duplicate", "bare"}


def test_faults_cover_every_rule_a_server_can_break():
    faulted = {f.rule for f in CATALOGUE.values()}
    exempt = faults.unfaulted()
    missing = sorted(set(C.rules) - faulted - set(exempt))
    assert not missing, f"rules with neither a fault nor a reason they cannot have one: {missing}"
    assert not faulted & set(exempt), "a rule is both faulted and declared unfaultable"


def test_faults_unfaulted_rules_exist_and_say_why():
    for rule, why in faults.unfaulted().items():
        assert rule in C.rules and len(why.split()) >= 8, (rule, why)


def test_faults_at_least_thirty_with_unique_names():
    assert len(CATALOGUE) >= 30
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) for name in CATALOGUE)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_fault_is_well_formed(name):
    fault = CATALOGUE[name]
    assert fault.rule in C.rules, f"{name} breaks an unknown rule {fault.rule}"
    assert fault.kind in ("validation", "response", "behaviour")
    assert fault.description and not fault.description.endswith(".")
    assert set(fault.operations) <= set(C.operations)
    for amb, reading in (fault.readings or {}).items():
        C.ambiguities[amb].reading(reading)
    if fault.kind == "validation":
        assert fault.patch, f"{name} weakens no contract"
    if fault.kind == "response":
        assert (fault.edit is None) != (name not in faults.TRANSFORMS), f"{name}: one edit or one transform"
    if fault.edit is not None:
        actions = set(fault.edit) & (EDIT_ACTIONS | {"status"})
        assert len(set(fault.edit) & EDIT_ACTIONS) <= 1 and actions, f"{name}: one action in {fault.edit}"
    if fault.kind == "behaviour":
        assert fault.switch in faulty.wired(), f"no hook variant or edit implements the switch {fault.switch}"


def test_faults_every_wired_switch_has_a_fault_and_every_variant_a_point():
    switches = {f.switch for f in CATALOGUE.values() if f.kind == "behaviour"}
    assert faulty.wired() <= switches, f"code for switches no fault selects: {faulty.wired() - switches}"
    assert {point for point, _ in faulty.VARIANTS.values()} <= set(POINTS)


@pytest.mark.parametrize("point", sorted(POINTS))
def test_faults_hook_point_is_asked_by_the_server(point):
    asked = [name for name, source in HANDLER_SOURCES.items() if f'"{point}"' in source]
    assert asked, f"no server module asks the hook point {point}; a variant there would never run"


def test_faults_handlers_name_no_fault():
    for name, source in HANDLER_SOURCES.items():
        assert "faulty(" not in source, f"{name} consults a fault switch"
        named = [f for f in CATALOGUE if f'"{f}"' in source]
        assert not named, f"{name} names faults {named}; faults belong in faulty.py or fault_middleware.py"


def test_faults_catalogue_schema_refuses_a_malformed_entry():
    schema = json.loads(faults.SCHEMA.read_text(encoding="utf-8"))
    with faults.CATALOGUE.open("rb") as fh:
        document = tomllib.load(fh)
    jsonschema.validate(document, schema)
    broken = copy.deepcopy(document)
    del broken["fault"][0]["rule"]
    broken["fault"][1]["edit"] = {"at": "x"}
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(broken))
    assert len(errors) == 2, [e.message for e in errors]


@pytest.mark.parametrize("name", sorted(n for n, f in CATALOGUE.items() if f.patch))
def test_fault_patch_changes_the_contracts(name):
    patched = contracts_module.load(patches=CATALOGUE[name].patch)
    changed = [op["schema"] for op in CATALOGUE[name].patch]
    assert any(patched.schemas[s] != C.schemas[s] for s in changed), f"{name}: the patch changes nothing"


def test_fault_edit_reaches_nested_items():
    body = {"personalized_offers": [{"options": [{"id": "a", "processing_type": "email"}, {"id": "b"}]}]}
    edit = {"at": "/personalized_offers/*/options/*/id", "set": "z", "when": {"processing_type": "email"}}
    status, edited = faults._edit(edit, 200, copy.deepcopy(body))
    assert status == 200 and [o["id"] for o in edited["personalized_offers"][0]["options"]] == ["z", "b"]


def test_fault_edit_on_a_status_touches_only_that_status():
    error = {"message": "m", "type": "invalid_request", "api_error_code": "x"}
    edit = {"on": 404, "at": "/type", "set": "operation_failed"}
    assert faults._edit(edit, 400, dict(error)) == (400, error)
    assert faults._edit(edit, 404, dict(error))[1]["type"] == "operation_failed"
    assert faults._edit(edit, 200, {"type": "ok"}) == (200, {"type": "ok"})


def test_fault_edit_leaves_errors_alone():
    error = {"message": "m", "type": "invalid_request", "api_error_code": "x"}
    assert faults._edit({"at": "/message", "remove": True}, 400, dict(error)) == (400, error)


def test_faults_clean_server_runs_no_fault_code():
    from cbconform.server import ServerConfig, create_app
    from cbconform.server.fault_middleware import FaultMiddleware
    from cbconform.server.hooks import Hooks

    clean = create_app(ServerConfig())
    assert type(clean.state.server.hooks) is Hooks
    assert all(m.cls is not FaultMiddleware for m in clean.user_middleware)
    faulty_app = create_app(ServerConfig(faults=frozenset({"no-auth"})))
    assert any(m.cls is FaultMiddleware for m in faulty_app.user_middleware)


def test_faults_requirements_are_public_and_refuse_unknown_names():
    from cbconform.server import fault_requirements

    readings, operations = fault_requirements(["withdrawn-orders-crash", "no-auth"])
    assert readings == {"AMB-ORDERS-DEPRECATED": "withdrawn"}
    assert operations == set(C.operations)  # no-auth shows on every operation
    assert fault_requirements([]) == ({}, set())
    with pytest.raises(ValueError, match="nope"):
        fault_requirements(["nope"])
