"""The systemd units of deploy/systemd: each starts a real `sohoa` command with options it has, reads the one
environment file whose settings are all real Settings fields, and is hardened; `systemd-analyze verify`
accepts them."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from sohoa.api.settings import Settings
from sohoa.api.worker import queues

UNITS = ROOT / "deploy" / "systemd"
ENV_FILE = "/etc/sohoa/sohoa.env"
EXAMPLES = [UNITS / "sohoa.env.example", ROOT / "deploy" / "sohoa.env.example"]
# The unit files, and the instance a template is checked with (sohoa-worker@ocr, sohoa-worker@default).
SERVICES = {
    "sohoa-serve.service": [""],
    "sohoa-worker@.service": ["ocr", "default"],
    "sohoa-watch.service": [""],
}
SOHOA = "/opt/sohoa/bin/sohoa"


def _unit(name: str) -> configparser.ConfigParser:
    # systemd repeats keys and uses % specifiers: no strictness, no interpolation, keys as written.
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name, encoding="utf-8")
    return parser


def _example(path: Path) -> dict[str, str]:
    """NAME=value lines of an env example; commented-out settings too, as `#NAME=value`."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"#?(SOHOA_[A-Z0-9_]+)=(.*)", line.strip())
        if match:
            found[match[1]] = match[2]
    return found


def _active(path: Path) -> dict[str, str]:
    return {
        name: value
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.startswith("#") and "=" in line
        for name, value in [line.split("=", 1)]
    }


def _exec_start(name: str, instance: str) -> list[str]:
    """ExecStart as the unit would run it: %i the instance, ${VAR} from the systemd env example."""
    env = _active(UNITS / "sohoa.env.example")
    line = _unit(name)["Service"]["ExecStart"].replace("%i", instance)
    line = re.sub(r"\$\{(\w+)\}", lambda m: env[m[1]], line)
    return shlex.split(line)


def _rw_paths(name: str) -> list[str]:
    return _unit(name)["Service"]["ReadWritePaths"].split()


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_unit_reads_the_one_env_file_runs_as_sohoa_and_is_hardened(name: str) -> None:
    service = _unit(name)["Service"]
    assert service["EnvironmentFile"] == ENV_FILE
    assert service["User"] == "sohoa" and service["Group"] == "sohoa"
    assert service["Restart"] == "on-failure"
    # The stop signal goes to sohoa's main process only: pool processes end with it, pages handed back.
    assert service["KillMode"] == "mixed"
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "CapabilityBoundingSet": "",
        "RestrictSUIDSGID": "yes",
    }.items():
        assert service[key] == value, key
    # The data directory of the env example is where the unit may write (ProtectSystem=strict).
    data_dir = _active(UNITS / "sohoa.env.example")["SOHOA_DATA_DIR"]
    assert data_dir in _rw_paths(name) and service["StateDirectory"] == Path(data_dir).name
    assert service["WorkingDirectory"] == data_dir
    assert _unit(name)["Install"]["WantedBy"] == "multi-user.target"


def test_the_hot_folder_of_the_env_file_is_writable_by_the_watch_unit() -> None:
    folder = _active(UNITS / "sohoa.env.example")["SOHOA_HOT_FOLDER"]
    assert folder in _rw_paths("sohoa-watch.service")
    assert _exec_start("sohoa-watch.service", "")[2] == folder


def test_the_worker_stops_with_celerys_warm_shutdown() -> None:
    service = _unit("sohoa-worker@.service")["Service"]
    # SIGTERM to the Celery main process only, which lets the pool finish its pages; as long as the broker
    # waits for a taken page before giving it to another worker.
    assert service["KillSignal"] == "SIGTERM" and service["KillMode"] == "mixed"
    visibility = int(_active(UNITS / "sohoa.env.example")["SOHOA_TASK_VISIBILITY_SECONDS"])
    assert int(service["TimeoutStopSec"]) >= visibility


@pytest.mark.parametrize(
    ("name", "instance"), [(name, instance) for name, instances in SERVICES.items() for instance in instances]
)
def test_each_unit_starts_a_real_sohoa_command_with_real_options(name: str, instance: str) -> None:
    argv = _exec_start(name, instance)
    assert argv[0] == SOHOA
    # The whole command line with --help: click refuses an option the command does not have (exit 2).
    run = subprocess.run(
        [sys.executable, "-c", "from sohoa.api.cli import main; main()", *argv[1:], "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert argv[1] in run.stdout
    if argv[1] == "worker":
        assert argv[argv.index("--queues") + 1] in queues(Settings())  # the instance names a queue


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_setting_named_in_the_env_examples_is_a_settings_field(example: Path) -> None:
    named = _example(example)
    assert named, example
    fields = {f"SOHOA_{field.upper()}" for field in Settings.model_fields}
    assert sorted(set(named) - fields) == []


def test_the_systemd_env_example_is_a_valid_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("SOHOA_"):
            monkeypatch.delenv(name)
    settings = Settings(_env_file=UNITS / "sohoa.env.example")  # type: ignore[call-arg]
    assert settings.data_dir == Path("/var/lib/sohoa")
    assert len(settings.es_hosts) == 3 and settings.es_replicas == 1
    assert settings.executor == "celery" and settings.broker_url is not None


def test_the_env_file_lines_are_plain_for_systemd_and_the_shell() -> None:
    # systemd keeps a '#' after a value as part of it, and a shell would split on spaces.
    for line in (UNITS / "sohoa.env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            assert re.fullmatch(r"SOHOA_[A-Z0-9_]+=[^\s#'\"]*", line), line


def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip(
            "systemd-analyze is not installed (apt package systemd): the units were parsed above only"
        )
    # verify checks that ExecStart's program exists: the units are copied with sohoa's path pointing to a
    # real executable.
    sohoa = tmp_path / "sohoa"
    sohoa.write_text("#!/bin/sh\nexit 0\n")
    sohoa.chmod(0o755)
    for name in SERVICES:
        text = (UNITS / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(SOHOA, str(sohoa)), encoding="utf-8")
    names = [f"./{name.replace('@.', '@ocr.')}" for name in SERVICES]
    run = subprocess.run(
        [analyze, "verify", "--man=no", *names],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    # Unknown keys and unparsable values are only warnings to verify: any line naming a unit fails the test.
    said = [line for line in (run.stdout + run.stderr).splitlines() if "sohoa" in line]
    assert run.returncode == 0 and said == [], run.stdout + run.stderr


def test_the_readme_deploys_with_these_units() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Deploying", 1)[1].split("\n## ", 1)[0]
    for name in [*SERVICES, "sohoa.env.example", "sohoa.sysusers.conf"]:
        assert name in section, name
    assert ENV_FILE in section
