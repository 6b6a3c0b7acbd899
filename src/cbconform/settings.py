"""Every setting of a run, declared once. The `cbconform run` options, the pytest options of the suites'
plugin, the environment and configuration-file reading, and the settings table of docs/TARGETS.md are
all generated from `SETTINGS`; precedence is command line > environment > file > default.

`python -m cbconform.settings` prints the docs table; `--check` fails when docs/TARGETS.md differs."""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROFILES = ("ci", "dev", "thorough", "sandbox")


class SettingsError(ValueError):
    """A setting that cannot be used as given; the message is one plain sentence."""


@dataclass(frozen=True)
class Setting:
    name: str
    help: str
    kind: str = "str"  # str | int | float | flag | list | pairs
    default: Any = None
    section: str | None = "target"  # the config file's table; None: never in a file
    env: str | None = None
    cli: bool = True  # an option of `cbconform run` and of the suites' pytest plugin
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    default_doc: str | None = None  # what the docs say the default is, when not the literal value
    pytest_option: str | None = None  # where pytest already owns the name

    @property
    def pytest_flag(self) -> str:
        return self.pytest_option or self.option

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def dest(self) -> str:  # pytest's namespace is shared with other plugins
        return f"cb_{self.name}"


SETTINGS: tuple[Setting, ...] = (
    Setting("target", "one base URL serving both hosts", env="CBCONFORM_TARGET", metavar="URL",
            default_doc="the embedded server"),
    Setting("grow_url", "base URL of the grow host (personalized offers, fulfillments)",
            env="CBCONFORM_GROW_URL", metavar="URL", default_doc="the embedded server"),
    Setting("core_url", "base URL of the core host (orders)", env="CBCONFORM_CORE_URL", metavar="URL",
            default_doc="the embedded server"),
    Setting("site", "a Chargebee site name; builds both hosts' URLs (test sites end in -test)",
            env="CBCONFORM_SITE", metavar="NAME"),
    Setting("api_key", "the API key; never read from or written to a file", env="CHARGEBEE_API_KEY",
            section=None, metavar="KEY", default_doc="`test_conformance_key` (the reference server's)"),
    Setting("target_config", "TOML file with [target], [data] and [readings] tables",
            env="CBCONFORM_CONFIG", section=None, metavar="FILE"),
    Setting("allow_live_site", "allow writing to a live (non -test) Chargebee site", kind="flag",
            default=False, section=None),
    Setting("reading", "follow another reading of an ambiguity (repeatable)", kind="pairs",
            default=(), section="readings", metavar="AMB-ID=NAME", default_doc="the register's defaults"),
    Setting("fault", "break the embedded reference server on purpose (repeatable)", kind="list",
            default=(), section=None, metavar="NAME"),
    Setting("max_requests", "stop sending after N requests; the run is then incomplete", kind="int",
            env="CBCONFORM_MAX_REQUESTS", metavar="N", default_doc="unlimited"),
    Setting("rate", "requests a minute sent to the target; 0 means unthrottled", kind="int",
            env="CBCONFORM_RATE", metavar="N", default_doc="150 for a remote host, none for loopback"),
    Setting("max_response_bytes", "a response body larger than this fails its rule", kind="int",
            default=4 * 1024 * 1024, env="CBCONFORM_MAX_RESPONSE_BYTES", metavar="BYTES"),
    Setting("request_deadline", "seconds one request may take, all of it; past it the request is unanswered",
            kind="float", default=30.0,
            env="CBCONFORM_REQUEST_DEADLINE", metavar="S"),
    Setting("run_deadline", "seconds the whole run may take; past it the run is incomplete", kind="float",
            default=1800.0, env="CBCONFORM_RUN_DEADLINE", metavar="S"),
    Setting("strict", "inferred rules gate the run too (the reference behaviour)", kind="flag",
            default=False, env="CBCONFORM_STRICT", pytest_option="--strict-rules"),
    Setting("features", "optional features the target offers beyond the documented ones", kind="list",
            default=(), cli=False, default_doc="discovered from the reference server's /__admin"),
    Setting("absent", "documented features the target lacks (a visible limit of the verdict)",
            kind="list", default=(), cli=False),
    Setting("customer_id", "a customer with a personalized offer", section="data", cli=False,
            default="cust_conformance"),
    Setting("customer_without_offers", "a customer with no offer", section="data", cli=False,
            default="cust_no_offers"),
    Setting("invoice_id", "an invoice orders may be created for", section="data", cli=False,
            default="inv_conformance_001"),
    Setting("business_entity_id", "the site's business entity", section="data", cli=False,
            default="be_conformance"),
    Setting("profile", "how deep a run goes: ci is derandomized; sandbox sends fewest requests (GATE.md)",
            choices=PROFILES, section="run", env="CBCONFORM_PROFILE",
            default_doc="`sandbox` for a non-loopback target, else `ci`"),
    Setting("expected_failures", "rule IDs expected to fail, one a line: strict xfails", section="run",
            metavar="FILE"),
    Setting("report_dir", "where results.json, junit.xml and report.html go", section="run",
            metavar="DIR", default_doc="`reports` for cbconform run; none for plain pytest"),
)  # fmt: skip

BY_NAME = {s.name: s for s in SETTINGS}
TRUE = ("1", "true", "yes", "on")


# ---------------------------------------------------------------------------- command lines


def add_argparse(parser: argparse.ArgumentParser, defaults: Mapping[str, Any] | None = None) -> None:
    group = parser.add_argument_group("target and run (command line > environment > file > default)")
    for s in SETTINGS:
        if s.cli:
            _add(group.add_argument, s, s.option, dest=s.name, default=(defaults or {}).get(s.name))


def add_pytest(parser: Any) -> None:
    group = parser.getgroup("cbconform", "Chargebee conformance target")
    for s in SETTINGS:
        if s.cli:
            _add(group.addoption, s, s.pytest_flag, dest=s.dest, default=None)


def _add(add: Callable[..., Any], s: Setting, option: str, *, dest: str, default: Any) -> None:
    helptext = f"{s.help} (env {s.env})" if s.env else s.help
    if s.kind == "flag":
        add(option, dest=dest, action="store_true", default=bool(default), help=helptext)
    elif s.kind in ("list", "pairs"):
        add(option, dest=dest, action="append", default=[], metavar=s.metavar, help=helptext)
    else:
        conv = {"int": int, "float": float}.get(s.kind, str)
        add(option, dest=dest, type=conv, default=default, metavar=s.metavar, choices=s.choices,
            help=helptext)  # fmt: skip


def from_namespace(values: Any, attr: Callable[[Setting], str] = lambda s: s.name) -> dict[str, Any]:
    """The command-line layer: only what the user gave."""
    given = {}
    for s in SETTINGS:
        if not s.cli:
            continue
        value = getattr(values, attr(s), None)
        if value not in (None, [], (), False):
            given[s.name] = value
    return given


def from_pytest(config: Any) -> dict[str, Any]:
    return from_namespace(config.option, lambda s: s.dest)


def to_argv(given: Mapping[str, Any]) -> list[str]:
    """The pytest options that carry `given` (the API key travels in the environment instead)."""
    argv = []
    for name, value in given.items():
        s = BY_NAME[name]
        if not s.cli or name == "api_key":
            continue
        if s.kind == "flag":
            argv += [s.pytest_flag] if value else []
        elif s.kind == "pairs":
            argv += [f"{s.pytest_flag}={k}={v}" for k, v in _pairs(value).items()]
        elif s.kind == "list":
            argv += [f"{s.pytest_flag}={v}" for v in value]
        else:
            argv.append(f"{s.pytest_flag}={value}")
    return argv


# ---------------------------------------------------------------------------- layers


def layered(cli: Mapping[str, Any], env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every setting's value: command line > environment > file > default, each parsed and checked."""
    env = os.environ if env is None else env
    path = cli.get("target_config") or cli.get("config") or env.get(BY_NAME["target_config"].env or "")
    layers = [_from_file(Path(path)) if path else {}, _from_env(env), _cli(cli)]
    values: dict[str, Any] = {s.name: _parse(s, s.default) for s in SETTINGS}
    for layer in layers:
        values.update({k: v for k, v in layer.items() if k != "reading"})
    values["reading"] = {k: v for layer in layers for k, v in dict(layer.get("reading", {})).items()}
    values["target_config"] = path
    values["profile"] = values["profile"] or default_profile(values)
    return values


def default_profile(values: Mapping[str, Any]) -> str:
    """sandbox when the run reaches a host beyond this machine (it pays for every request), else ci."""
    from cbconform.liveguard import is_loopback

    urls = [values.get(k) for k in ("target", "grow_url", "core_url")]
    remote = bool(values.get("site")) or any(u and not is_loopback(str(u)) for u in urls)
    return "sandbox" if remote else "ci"


def _cli(cli: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in cli.items():
        if name == "readings":
            name = "reading"
        if name in BY_NAME and value not in (None, [], (), ""):
            out[name] = _parse(BY_NAME[name], value)
    return out


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    return {s.name: _parse(s, env[s.env]) for s in SETTINGS if s.env and env.get(s.env)}


def _from_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(f"The target configuration file {path} does not exist.") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"The target configuration file {path} is not valid TOML: {error}.") from None
    values: dict[str, Any] = {}
    for section, table in raw.items():
        if section == "readings":
            values["reading"] = _parse(BY_NAME["reading"], table)
            continue
        if not isinstance(table, dict):
            raise SettingsError(f"{path}: {section} must be a table such as [target].")
        for key, value in table.items():
            s = BY_NAME.get(key)
            if s is None or s.section is None:
                why = "never belongs in a file" if s else "is not a setting"
                raise SettingsError(f"{path}: [{section}] {key} {why}; see docs/TARGETS.md.")
            values[key] = _parse(s, value)
    return values


def _parse(s: Setting, value: Any) -> Any:
    if value is None:
        return None
    try:
        if s.kind == "flag":
            return value if isinstance(value, bool) else str(value).strip().lower() in TRUE
        if s.kind == "int":
            return _number(s, int(value), minimum=0 if s.name == "rate" else 1)
        if s.kind == "float":
            return _number(s, float(value), minimum=1e-9)
        if s.kind == "list":
            items = [value] if isinstance(value, str) else list(value)
            return tuple(str(v) for v in items)
        if s.kind == "pairs":
            return _pairs(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{s.option.lstrip('-')} must be a number, not {value!r}.") from None
    if s.choices and value not in s.choices:
        raise SettingsError(f"{s.option.lstrip('-')} is one of {', '.join(s.choices)}, not {value!r}.")
    return str(value)


def _number(s: Setting, number: float, minimum: float) -> Any:
    if number < minimum:
        raise SettingsError(f"{s.option.lstrip('-')} must be at least {minimum:g}, not {number:g}.")
    return number


def _pairs(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    pairs = {}
    for item in [value] if isinstance(value, str) else value:
        key, sep, name = str(item).partition("=")
        if not sep or not key or not name:
            raise SettingsError(f"--reading takes AMB-ID=NAME, not {item!r}.")
        pairs[key] = name
    return pairs


# ---------------------------------------------------------------------------- docs


def docs_table() -> str:
    rows = [
        "| setting | command line | environment | config file | default |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in SETTINGS:
        cli = f"`{s.option} {s.metavar}`".replace(" None`", "`") if s.cli else ""
        where = {"readings": "`[readings]` table", None: "never"}.get(s.section, f"`[{s.section}] {s.name}`")
        default = s.default_doc or (f"`{_show(s.default)}`" if s.default not in (None, (), False) else "none")
        rows.append(f"| {s.help} | {cli} | {f'`{s.env}`' if s.env else ''} | {where} | {default} |")
    return "\n".join(rows)


def _show(value: Any) -> str:
    return ", ".join(value) if isinstance(value, Iterable) and not isinstance(value, str) else str(value)


BEGIN, END = "<!-- settings:begin (python -m cbconform.settings) -->", "<!-- settings:end -->"


def docs_path() -> Path:
    return Path(__file__).resolve().parents[2] / "docs" / "TARGETS.md"


def main(argv: list[str]) -> int:
    path, table = docs_path(), docs_table()
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    fresh = f"{head}{BEGIN}\n{table}\n{END}{tail}"
    if "--check" in argv:
        if fresh != text:
            print(f"{path} is stale: run python -m cbconform.settings --write")
            return 1
        return 0
    if "--write" in argv:
        path.write_text(fresh, encoding="utf-8")
        return 0
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
