"""Settings are declared once (cbconform.settings): the docs table is generated from the declaration,
and no environment variable, option or config key of a setting is spelled in another module."""

from __future__ import annotations

import re
from pathlib import Path

from cbconform import settings

ROOT = Path(__file__).resolve().parents[2]


def test_docs_table_equals_the_declaration() -> None:
    text = settings.docs_path().read_text(encoding="utf-8")
    assert f"{settings.BEGIN}\n{settings.docs_table()}\n{settings.END}" in text, (
        "docs/TARGETS.md is stale: run python -m cbconform.settings --write"
    )


def test_no_setting_is_spelled_outside_the_declaration() -> None:
    env_names = {s.env for s in settings.SETTINGS if s.env and s.env.startswith("CBCONFORM_")}
    pattern = re.compile("|".join(re.escape(n) for n in sorted(env_names)))
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "src").rglob("*.py")
        if p.name != "settings.py" and pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"a setting's environment name is spelled in {offenders}"


def test_precedence_is_command_line_environment_file_default(tmp_path: Path) -> None:
    config = tmp_path / "t.toml"
    config.write_text(
        '[target]\nrate = 11\nmax_requests = 5\n[data]\ncustomer_id = "file"\n', encoding="utf-8"
    )
    env = {"CBCONFORM_CONFIG": str(config), "CBCONFORM_RATE": "22"}
    values = settings.layered({"rate": 33}, env)
    assert (values["rate"], values["max_requests"], values["customer_id"]) == (33, 5, "file")
    assert settings.layered({}, env)["rate"] == 22
    assert settings.layered({}, {})["customer_id"] == settings.BY_NAME["customer_id"].default


def test_cli_and_pytest_options_come_from_the_declaration() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    settings.add_argparse(parser)
    options = {o for a in parser._actions for o in a.option_strings}
    assert {s.option for s in settings.SETTINGS if s.cli} <= options


def test_reproduction_argv_carries_readings_as_given() -> None:
    argv = settings.to_argv({"reading": ["AMB-A=x"], "fault": ["f"], "strict": True})
    assert argv == ["--reading=AMB-A=x", "--fault=f", "--strict-rules"]
    assert settings.to_argv({"reading": {"AMB-A": "x"}}) == ["--reading=AMB-A=x"]


def test_the_profile_setting_offers_exactly_the_declared_profiles():
    from cbconform import profiles

    assert tuple(profiles.PROFILES) == settings.PROFILES
