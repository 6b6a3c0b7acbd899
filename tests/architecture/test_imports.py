"""The import rules of docs/ARCHITECTURE.md, read from the source: the suites never reach the reference
server, and the harness reaches it only through its public face (`cbconform.server`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "cbconform"
SERVER_OWNERS = ("server", "mutants")  # the server itself and the kill matrix that breaks it


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def _harness_modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] not in SERVER_OWNERS]


@pytest.mark.parametrize("path", _harness_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_harness_uses_only_the_servers_public_face(path: Path) -> None:
    inside = [n for n in _imports(path) if n.startswith("cbconform.server.")]
    assert not inside, f"{path.name} imports {inside}; use the names `cbconform.server` exports"


@pytest.mark.parametrize("path", sorted((ROOT / "suites").glob("*.py")), ids=lambda p: p.name)
def test_suites_never_import_the_reference_server(path: Path) -> None:
    names = _imports(path)
    assert not [n for n in names if n.startswith("cbconform.server")], path.name
    assert "conftest" not in names, f"{path.name} imports from conftest; use fixtures or cbconform modules"


def test_server_public_face_is_what_it_says() -> None:
    import cbconform.server as server

    assert set(server.__all__) == {"DEFAULT_API_KEY", "ServerConfig", "create_app", "fault_requirements"}


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_over_350_lines(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 350
