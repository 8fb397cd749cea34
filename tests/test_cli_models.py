"""`glossary models ...` through glossary.cli.main and through the installed console script.
The environment (conftest's `env`) points the index at a dead 127.0.0.1 port."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from glossary.cli import main
from tests.test_index import LocalServer, publish, server, silent_url

__all__ = ["server", "silent_url"]  # fixtures shared with test_index

GLOSSARY = Path(sys.executable).with_name("glossary")
FOLDER = "translate-de_en-1_0"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_script(
    env: dict[str, str], *argv: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    command = [str(GLOSSARY)] if GLOSSARY.exists() else [sys.executable, "-m", "glossary.cli"]
    return subprocess.run(
        [*command, *argv], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


# --- errors map to exit code 2 with a message -----------------------------------------------

ERRORS = [
    (["models", "install"], "name the pair"),
    (["models", "install", "de", "en", "--file", "x.argosmodel"], "not both"),
    (["models", "install", "--file", "absent.argosmodel"], "no such file"),
    (["models", "remove", "de", "en"], "no de→en package is installed"),
    (["models", "install", "de", "en"], "--file PATH.argosmodel"),  # the index is unreachable
]


@pytest.mark.parametrize(("argv", "message"), ERRORS, ids=[" ".join(a) for a, _ in ERRORS])
def test_errors_exit_2_with_a_message(
    env: dict[str, str], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert message in err


def test_missing_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["models"])
    assert caught.value.code == 2


# --- the life cycle -------------------------------------------------------------------------


def test_install_list_ensure_remove(
    env: dict[str, str], capsys: pytest.CaptureFixture[str], tiny_archive: Path
) -> None:
    assert run(capsys, "models", "list")[1].startswith("no packages installed")
    code, out, _ = run(capsys, "models", "install", "--file", str(tiny_archive))
    assert code == 0 and out.startswith("installed de→en 1.0")
    code, out, _ = run(capsys, "models", "list")
    assert out.splitlines() == ["PAIR   VERSION  FOLDER", f"de→en  1.0      {FOLDER}"]
    (row,) = json.loads(run(capsys, "models", "list", "--json")[1])
    assert (row["from_code"], row["to_code"], row["folder"]) == ("de", "en", FOLDER)
    assert Path(row["path"]) == Path(env["ARGOS_PACKAGES_DIR"]) / FOLDER
    code, out, _ = run(capsys, "models", "ensure", "de", "en")  # installed: no network at all
    assert code == 0 and out.startswith("model ready: de→en")
    code, out, _ = run(capsys, "models", "remove", "de", "en")
    assert code == 0 and out.startswith("removed de→en 1.0")
    assert json.loads(run(capsys, "models", "list", "--json")[1]) == []


def test_ensure_offline_tells_the_file_way_and_succeeds(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "models", "ensure", "de", "en")
    assert (code, out) == (0, "")
    assert "--file PATH.argosmodel" in err and "Starting without it" in err


def test_ensure_installs_from_a_reachable_index(
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    server: LocalServer,
    tiny_archive: Path,
) -> None:
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", publish(server, tiny_archive, {}))
    code, out, _ = run(capsys, "models", "ensure", "de", "en", "--progress")
    assert code == 0 and out.startswith("installed de→en 1.0")
    assert (Path(env["ARGOS_PACKAGES_DIR"]) / FOLDER / "metadata.json").is_file()


# --- the console script ---------------------------------------------------------------------


def test_script_install_offline_exits_2_fast(env: dict[str, str]) -> None:
    started = time.monotonic()
    done = run_script(env, "models", "install", "de", "en", timeout=30)
    assert time.monotonic() - started < 10
    assert done.returncode == 2
    assert "--file" in done.stderr and "Traceback" not in done.stderr


def test_script_install_against_a_silent_index_exits_2_in_time(
    env: dict[str, str], silent_url: str
) -> None:
    env = {**env, "ARGOS_PACKAGE_INDEX": silent_url, "GLOSSARY_NETWORK_TIMEOUT": "1"}
    started = time.monotonic()
    done = run_script(env, "models", "install", "de", "en", timeout=30)
    assert time.monotonic() - started < 10
    assert done.returncode == 2 and "--file" in done.stderr


def test_script_install_from_file_then_list(env: dict[str, str], tiny_archive: Path) -> None:
    assert run_script(env, "models", "install", "--file", str(tiny_archive)).returncode == 0
    listed = run_script(env, "models", "list", "--json")
    assert [row["folder"] for row in json.loads(listed.stdout)] == [FOLDER]
