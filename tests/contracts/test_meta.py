"""The contracts' data files are checked against contracts/meta/ when loaded, and a reading's patch that
would leave a constraint unattributed is refused at load, in one sentence."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cbconform import contracts

ROOT = contracts.load().root


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "contracts"
    shutil.copytree(ROOT, root)
    return root


@pytest.mark.parametrize(
    "name", ["rules.toml", "operations.toml", "errors.toml", "ambiguities.toml", "sources.toml"]
)
def test_every_data_file_has_a_meta_schema(name: str) -> None:
    assert (ROOT / "meta" / (name.removesuffix(".toml") + ".schema.json")).exists()


def test_a_rule_without_evidence_is_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    rules = root / "rules.toml"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace('evidence = "seed"\n', "", 1), encoding="utf-8"
    )
    with pytest.raises(
        contracts.ContractError, match=r"^contracts/rules.toml is malformed at rule/\d+: "
    ) as info:
        contracts.Contracts(root)
    assert "\n" not in str(info.value) and "evidence" in str(info.value)


def test_an_undocumented_error_type_field_is_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    errors = root / "errors.toml"
    errors.write_text(errors.read_text(encoding="utf-8").replace("types = ", "kinds = ", 1), encoding="utf-8")
    with pytest.raises(contracts.ContractError, match=r"errors\.toml is malformed"):
        contracts.Contracts(root)


def test_a_reading_that_leaves_a_constraint_unattributed_is_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    register = root / "ambiguities.toml"
    text = register.read_text(encoding="utf-8").replace(
        '    { schema = "hosted_page.json", op = "add", path = "/x-rules/required", '
        'value = { content = "CRT-HOSTED-PAGE-SHAPE" } },\n',
        "",
    )
    register.write_text(text, encoding="utf-8")
    contracts.Contracts(root)  # the default reading is untouched
    with pytest.raises(contracts.ContractError) as info:
        contracts.Contracts(root, {"AMB-HOSTED-PAGE-CONTENT": "listed-required"})
    message = str(info.value)
    assert message.startswith(
        "the reading AMB-HOSTED-PAGE-CONTENT=listed-required leaves hosted_page.json#/required"
    )
    assert "\n" not in message
