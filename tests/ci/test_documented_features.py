"""Defaults follow the documents: a feature Chargebee documents is assumed on every target unless the
target file declares it absent; the reference server's control plane is never assumed."""

from __future__ import annotations

from pathlib import Path

import pytest

from cbconform import connection, contracts
from cbconform.target import TargetError, resolve

URL = "http://127.0.0.1:8080/api/v2"
CONTROL_PLANE = {"event-log", "clock", "reset", "rate-limit"}


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "target.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_idempotency_is_documented_and_the_control_plane_is_not() -> None:
    documented = connection.documented_features(contracts.load())
    assert "idempotency" in documented and not documented & CONTROL_PLANE


@pytest.mark.parametrize("cli", [{}, {"target": URL}, {"site": "acme-test"}], ids=["embedded", "url", "site"])
def test_documented_features_are_assumed_on_every_target_with_no_configuration(cli: dict) -> None:
    c = contracts.load()
    features = connection.features(resolve(cli, env={}), c)
    assert features == connection.documented_features(c)


def test_a_documented_feature_declared_absent_is_not_checked_and_is_reported(tmp_path: Path) -> None:
    target = resolve(
        {"target": URL, "target_config": _file(tmp_path, '[target]\nabsent = ["idempotency"]\n')}, env={}
    )
    assert "idempotency" not in connection.features(target, contracts.load())
    assert target.public()["absent_features"] == ["idempotency"]


def test_an_unknown_absent_feature_is_one_plain_sentence(tmp_path: Path) -> None:
    with pytest.raises(TargetError) as error:
        resolve(
            {"target": URL, "target_config": _file(tmp_path, '[target]\nabsent = ["teleport"]\n')}, env={}
        )
    message = str(error.value)
    assert "\n" not in message and message.endswith(".") and "teleport" in message
