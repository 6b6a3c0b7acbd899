"""Target resolution (src/cbconform/target.py): command line > environment > file > defaults, the
live-site guard, site URLs, and plain one-sentence errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cbconform.target import DEFAULT_KEY, EMBEDDED_URL, TargetError, resolve


def _config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "target.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _one_sentence(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message
    assert message.strip() and message.endswith("."), message


def test_defaults_are_the_embedded_reference_server() -> None:
    target = resolve({}, env={})
    assert target.embedded and target.grow_url == target.core_url == EMBEDDED_URL
    assert target.api_key == DEFAULT_KEY and target.customer_id == "cust_conformance"


def test_command_line_over_environment_over_file_over_defaults(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        '[target]\ntarget = "http://file.example/api/v2"\nmax_requests = 7\n'
        'rate = 11\n[data]\ncustomer_id = "cust_file"\ninvoice_id = "inv_file"\n',
    )
    env = {
        "CBCONFORM_CONFIG": config,
        "CBCONFORM_TARGET": "http://env.example/api/v2",
        "CHARGEBEE_API_KEY": "env_key_0001",
        "CBCONFORM_RATE": "22",
    }
    only_file = resolve({}, env={"CBCONFORM_CONFIG": config})
    assert (only_file.grow_url, only_file.api_key, only_file.rate) == (
        "http://file.example/api/v2",
        DEFAULT_KEY,
        11,
    )
    assert only_file.customer_id == "cust_file" and only_file.max_requests == 7

    with_env = resolve({}, env=env)
    assert (with_env.grow_url, with_env.api_key, with_env.rate) == (
        "http://env.example/api/v2",
        "env_key_0001",
        22,
    )
    assert with_env.max_requests == 7 and with_env.customer_id == "cust_file"  # the file still fills gaps

    cli = resolve({"target": "http://cli.example/api/v2", "api_key": "cli_key_0001", "rate": None}, env=env)
    assert (cli.grow_url, cli.core_url, cli.api_key) == ("http://cli.example/api/v2",) * 2 + ("cli_key_0001",)
    assert cli.rate == 22  # an option not given on the command line falls through to the environment


def test_command_line_config_file_wins_over_the_environments(tmp_path: Path) -> None:
    env_file = _config(tmp_path, '[data]\ncustomer_id = "env_file_customer"\n')
    cli_file = tmp_path / "cli.toml"
    cli_file.write_text('[data]\ncustomer_id = "cli_file_customer"\n', encoding="utf-8")
    target = resolve({"config": str(cli_file)}, env={"CBCONFORM_CONFIG": env_file})
    assert target.customer_id == "cli_file_customer"


def test_api_key_in_a_config_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TargetError) as error:
        resolve({"config": _config(tmp_path, '[target]\napi_key = "file_key"\n')}, env={})
    _one_sentence(str(error.value))
    assert "api_key never belongs in a file" in str(error.value) and "file_key" not in str(error.value)


def test_loopback_is_unthrottled_and_remote_hosts_get_the_documented_rate() -> None:
    assert resolve({"target": "http://127.0.0.1:8080/api/v2"}, env={}).rate is None
    assert resolve({"target": "http://localhost:8080/api/v2"}, env={}).rate is None
    assert resolve({"site": "acme-test"}, env={}).rate == 150
    assert resolve({"site": "acme-test", "rate": 0}, env={}).rate is None


def test_readings_merge_file_then_command_line(tmp_path: Path) -> None:
    config = _config(tmp_path, '[readings]\nAMB-A = "file"\nAMB-B = "file"\n')
    target = resolve({"config": config, "readings": {"AMB-B": "cli"}}, env={})
    assert dict(target.readings) == {"AMB-A": "file", "AMB-B": "cli"}


def test_live_site_is_refused_without_allow_live_site() -> None:
    with pytest.raises(TargetError) as error:
        resolve({"site": "acme"}, env={})
    _one_sentence(str(error.value))
    assert "acme" in str(error.value) and "--allow-live-site" in str(error.value)
    allowed = resolve({"site": "acme", "allow_live_site": True}, env={})
    assert allowed.core_url == "https://acme.chargebee.com/api/v2"


def test_live_site_from_the_environment_is_refused_too() -> None:
    with pytest.raises(TargetError):
        resolve({}, env={"CBCONFORM_SITE": "acme"})


def test_test_site_builds_both_hosts() -> None:
    target = resolve({"site": "acme-test"}, env={})
    assert target.core_url == "https://acme-test.chargebee.com/api/v2"
    assert target.grow_url == "https://acme-test.grow.chargebee.com/api/v2"
    assert not target.embedded and target.site == "acme-test"


@pytest.mark.parametrize(
    "text",
    [
        "[target]\nbogus_option = 1\n",  # an unknown setting
        "[target\napi_key = 'x'\n",  # not TOML
    ],
    ids=["unknown-setting", "invalid-toml"],
)
def test_bad_config_file_is_one_plain_sentence(tmp_path: Path, text: str) -> None:
    with pytest.raises(TargetError) as error:
        resolve({"config": _config(tmp_path, text)}, env={})
    _one_sentence(str(error.value))


def test_missing_config_file_is_one_plain_sentence(tmp_path: Path) -> None:
    with pytest.raises(TargetError) as error:
        resolve({"config": str(tmp_path / "absent.toml")}, env={})
    _one_sentence(str(error.value))


@pytest.mark.parametrize(
    "cli",
    [
        {"target": "ftp://example.com/api/v2"},
        {"grow_url": "http://127.0.0.1:8080/api/v2"},
        {"target": "http://127.0.0.1:8080/api/v2", "rate": "fast"},
        {"max_requests": "-3"},
        {"features": ["teleport"]},
    ],
    ids=["scheme", "one-host", "rate", "max-requests", "feature"],
)
def test_bad_values_are_one_plain_sentence(cli: dict) -> None:
    with pytest.raises(TargetError) as error:
        resolve(cli, env={})
    _one_sentence(str(error.value))


def test_unknown_command_line_option_is_a_usage_error(cbconform_run) -> None:
    proc = cbconform_run("--no-such-option", timeout=60)
    assert proc.returncode == 2
    assert "unrecognized arguments: --no-such-option" in proc.stdout and "Traceback" not in proc.stdout


def test_live_site_on_the_command_line_exits_2_with_one_sentence(cbconform_run, tmp_path: Path) -> None:
    proc = cbconform_run("--site", "acme", "--report-dir", str(tmp_path), timeout=120)
    assert proc.returncode == 2, proc.stdout
    assert "Traceback" not in proc.stdout
    assert "Refusing to run against the live site 'acme'" in proc.stdout
