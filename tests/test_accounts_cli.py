"""`glossary users`, `glossary keys`, `glossary defaults` and the start-up warning of
`glossary serve`, run as the real installed command (`.venv/bin/glossary`) in processes of
their own, with stdin that is not a terminal and an environment of the test's own (state
folder and terms folder in tmp). What the commands write is then checked against the app:
a key printed by `keys add` signs requests in with its role, and `defaults set` changes the
glossaries a translation naming none uses, on an app that is already running (the engine
there is faked: tests/fakes.py PhraseEngine, so those tests say "fake_engine")."""

from __future__ import annotations

import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from flask import Flask

from glossary.accounts import Accounts
from glossary.config import Settings
from glossary.engines import EngineRegistry
from glossary.packages import InstalledPackage
from glossary.term import Term
from glossary.termwrite import create_glossary
from tests.conftest import REPO
from tests.fakes import PhraseEngine
from tests.test_pages import LEXICON
from web.app import create_app

GLOSSARY = Path(sys.executable).parent / "glossary"
PASSWORD = "correct horse battery"
# Two sentences: one with a term of the curated de-en.yaml, one with a term of `extra`.
TEXT = "Der Kreml-Herrscher reist nach Pjöngjang. Die Bundeskanzlerin reist nach Pjöngjang."
CURATED, EXTRA = "Kremlin ruler", "puppet"
WARNING = "with no accounts and no API keys"


def cli(
    env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`glossary ARGS...`; stdin is the given text, or /dev/null (never a terminal)."""
    command = [str(GLOSSARY), *args]
    if stdin is None:
        return subprocess.run(
            command,
            env=env,
            cwd=env["HOME"],
            text=True,
            timeout=timeout,
            capture_output=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    return subprocess.run(
        command,
        env=env,
        cwd=env["HOME"],
        text=True,
        timeout=timeout,
        capture_output=True,
        check=False,
        input=stdin,
    )


@pytest.fixture
def terms(tmp_path: Path) -> Path:
    """The curated de-en.yaml, a second file glossary `extra` (Bundeskanzlerin → puppet) and
    one made through the DeepL API (deepl-<uuid>, owned by a key)."""
    folder = tmp_path / "terms"
    folder.mkdir()
    shutil.copy(REPO / "terms" / "de-en.yaml", folder / "de-en.yaml")
    create_glossary(folder / "extra.yaml", "Extra", "de", "en", [Term("Bundeskanzlerin", EXTRA)])
    return folder


@pytest.fixture
def owned(terms: Path) -> str:
    name = f"deepl-{uuid.uuid4()}"
    create_glossary(
        terms / f"{name}.yaml", "Owned", "de", "en", [Term("Bundeskanzlerin", "marionette")]
    )
    return name


@pytest.fixture
def cli_env(env: dict[str, str], terms: Path) -> dict[str, str]:
    """The isolated environment, with no GLOSSARY_ setting from outside but the folders."""
    clean = {
        k: v for k, v in env.items() if not k.startswith("GLOSSARY_") or k == "GLOSSARY_STATE_DIR"
    }
    Path(clean["HOME"]).mkdir(parents=True, exist_ok=True)
    return {**clean, "GLOSSARY_TERMS_DIR": str(terms)}


@pytest.fixture
def cli_settings(cli_env: dict[str, str]) -> Settings:
    return Settings.from_env(cli_env)


@pytest.fixture
def accounts_file(cli_settings: Settings) -> Path:
    return cli_settings.state_dir / "accounts.json"


def make_app(settings: Settings) -> Flask:
    """The real app factory over the CLI's settings and a fake engine."""
    registry = EngineRegistry(settings, loader=lambda package: PhraseEngine(LEXICON))
    return create_app(settings, registry, test_config={"TESTING": True, "SECRET_KEY": "s"})


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    return result.stderr


# --- users -----------------------------------------------------------------------------------


def test_users_add_list_change_remove(cli_env: dict[str, str], accounts_file: Path) -> None:
    added = cli(
        cli_env,
        "users",
        "add",
        "alice",
        "--role",
        "editor",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert "user alice (editor) saved" in added.stdout
    assert cli(cli_env, "users", "list").stdout == "alice\teditor\n"

    raw = accounts_file.read_text("utf-8")
    assert stat.S_IMODE(accounts_file.stat().st_mode) == 0o600
    assert PASSWORD not in raw and "correct horse" not in raw
    assert '"password": "scrypt$' in raw
    book = Accounts(accounts_file)
    signed_in = book.sign_in("alice", PASSWORD)
    assert signed_in is not None and signed_in.role == "editor"
    assert book.sign_in("alice", PASSWORD + "x") is None

    # `users add` again changes the role (and password) of the same user.
    changed = cli(
        cli_env,
        "users",
        "add",
        "alice",
        "--role",
        "admin",
        "--password-stdin",
        stdin="another password\r\n",
    )
    assert changed.returncode == 0, changed.stderr
    assert cli(cli_env, "users", "list").stdout == "alice\tadmin\n"
    assert book.sign_in("alice", PASSWORD) is None
    assert book.sign_in("alice", "another password") is not None  # "\r\n" is not kept

    removed = cli(cli_env, "users", "remove", "alice")
    assert (removed.returncode, removed.stdout) == (0, "user alice removed\n")
    assert cli(cli_env, "users", "list").stdout == ""
    assert book.sign_in("alice", "another password") is None


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["users", "add", "bob", "--role", "editor", "--password-stdin"],
            "short\n",
            "the password must have at least 8 characters",
        ),
        (
            ["users", "add", "bob", "--role", "editor"],
            None,
            "no terminal to ask for the password: use --password-stdin",
        ),
        (["users", "add", "bad name", "--password-stdin"], PASSWORD + "\n", "invalid name"),
        (["users", "remove", "nobody"], None, "no user named 'nobody'"),
        (["keys", "remove", "nobody"], None, "no key named 'nobody'"),
    ],
    ids=["short-password", "no-tty", "bad-name", "remove-unknown-user", "remove-unknown-key"],
)
def test_account_errors_exit_2_with_one_line(
    cli_env: dict[str, str],
    accounts_file: Path,
    args: list[str],
    stdin: str | None,
    message: str,
) -> None:
    err = one_line_error(cli(cli_env, *args, stdin=stdin))
    [line] = err.splitlines()
    assert line.startswith("glossary: error: ") and message in line
    assert not accounts_file.exists(), "a refused command wrote the accounts file"


def test_unknown_role_is_refused(cli_env: dict[str, str], accounts_file: Path) -> None:
    result = cli(
        cli_env,
        "users",
        "add",
        "bob",
        "--role",
        "wizard",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    err = one_line_error(result)
    assert err.splitlines() == [
        "glossary: error: unknown role 'wizard': use one of reader, editor, admin"
    ]
    assert not accounts_file.exists()
    assert cli(cli_env, "keys", "add", "k", "--role", "root").returncode == 2
    assert not accounts_file.exists()


# --- keys ------------------------------------------------------------------------------------


def test_key_is_printed_once_and_signs_requests_in_with_its_role(
    cli_env: dict[str, str], cli_settings: Settings, accounts_file: Path
) -> None:
    made = cli(cli_env, "keys", "add", "ci", "--role", "editor")
    assert made.returncode == 0, made.stderr
    [editor_key] = made.stdout.splitlines()  # the key and nothing else on stdout
    assert len(editor_key) >= 40 and " " not in editor_key
    assert "shown only now" in made.stderr and editor_key not in made.stderr
    reader_key = cli(cli_env, "keys", "add", "viewer", "--role", "reader").stdout.strip()
    assert reader_key and reader_key != editor_key

    listed = cli(cli_env, "keys", "list")
    assert listed.stdout == "ci\teditor\nviewer\treader\n"
    raw = accounts_file.read_text("utf-8")
    assert stat.S_IMODE(accounts_file.stat().st_mode) == 0o600
    for secret in (editor_key, reader_key):
        assert secret not in listed.stdout + listed.stderr
        assert secret not in raw

    client = make_app(cli_settings).test_client()

    def add_term(headers: dict[str, str]) -> int:
        etag = client.get("/api/glossaries/de-en").headers["ETag"]
        reply = client.post(
            "/api/glossaries/de-en/terms",
            json={"source": "Wal", "target": "whale"},
            headers={"If-Match": etag, **headers},
        )
        return reply.status_code

    assert add_term({}) == 401  # no key: anonymous may read only
    assert add_term({"Authorization": "Bearer not-a-key"}) == 403
    assert add_term({"Authorization": f"Bearer {reader_key}"}) == 403
    assert client.get("/api/glossaries", headers={"X-API-Key": reader_key}).status_code == 200
    assert add_term({"Authorization": f"Bearer {editor_key}"}) == 201
    # An editor is not an admin: marking defaults is refused for the role, not the form.
    refused = client.post("/account/defaults", headers={"X-API-Key": editor_key})
    assert refused.status_code == 403 and "editor" in refused.get_data(as_text=True)

    # Removed with the CLI: the running app refuses the key at once.
    assert cli(cli_env, "keys", "remove", "ci").returncode == 0
    assert cli(cli_env, "keys", "list").stdout == "viewer\treader\n"
    assert add_term({"Authorization": f"Bearer {editor_key}"}) == 403


def test_configured_keys_are_listed_without_their_secrets(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "GLOSSARY_API_KEYS": "ops:admin:configured-secret-1,bare-secret-2"}
    listed = cli(env, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == "key2\tadmin\nops\tadmin\n"
    assert "configured-secret-1" not in listed.stdout and "bare-secret-2" not in listed.stdout
    clash = cli(env, "keys", "add", "ops")
    assert "configured in GLOSSARY_API_KEYS" in one_line_error(clash)


# --- defaults --------------------------------------------------------------------------------


def test_defaults_set_list_and_effect_on_running_app_fake_engine(
    cli_env: dict[str, str], cli_settings: Settings, installed: InstalledPackage, owned: str
) -> None:
    client = make_app(cli_settings).test_client()

    def translated() -> tuple[str, str]:
        own = client.post("/api/translate", json={"text": TEXT, "source": "de", "target": "en"})
        v2 = client.post(
            "/v2/translate", data={"text": TEXT, "source_lang": "DE", "target_lang": "EN"}
        )
        assert own.status_code == 200 and v2.status_code == 200, (own.json, v2.json)
        return str(own.json["text"]), str(v2.json["translations"][0]["text"])  # type: ignore[index]

    # Nothing marked yet: every file glossary, never the one made through the DeepL API.
    assert cli(cli_env, "defaults", "list").stdout == "de-en\nextra\n"
    for text in translated():
        assert CURATED in text and EXTRA in text and "marionette" not in text

    marked = cli(cli_env, "defaults", "set", "de-en")
    assert (marked.returncode, marked.stdout) == (0, "de-en\n")
    assert cli(cli_env, "defaults", "list").stdout == "de-en\n"
    for text in translated():
        assert CURATED in text and EXTRA not in text

    assert cli(cli_env, "defaults", "set", "extra").stdout == "extra\n"
    for text in translated():
        assert EXTRA in text and CURATED not in text and "Kremlin lord" in text

    unknown = one_line_error(cli(cli_env, "defaults", "set", "de-en", "nosuch"))
    assert unknown == "glossary: error: not a glossary file in the terms folder: nosuch\n"
    refused = one_line_error(cli(cli_env, "defaults", "set", owned))
    assert refused == (f"glossary: error: made through the DeepL API, so owned by a key: {owned}\n")
    assert cli(cli_env, "defaults", "list").stdout == "extra\n"  # unchanged by the refusals

    # None at all: a request naming no glossary gets none.
    cleared = cli(cli_env, "defaults", "set")
    assert (cleared.returncode, cleared.stdout) == (0, "")
    for text in translated():
        assert CURATED not in text and EXTRA not in text and "Kremlin lord" in text


# --- serve: the warning ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_stderr(env: dict[str, str], host: str | None, timeout: float = 60) -> str:
    """Start `glossary serve [--host HOST]` on a free port, wait until it answers /health
    (the warning comes before the server starts), stop it; its stderr."""
    port = free_port()
    where = ["--host", host] if host else []
    proc = subprocess.Popen(
        [str(GLOSSARY), "serve", *where, "--port", str(port)],
        env=env,
        cwd=env["HOME"],
        stdin=subprocess.DEVNULL,
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    lines: list[str] = []
    assert proc.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr or ()), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert proc.poll() is None, f"serve exited early: {''.join(lines)}"
            assert time.monotonic() < deadline, f"serve did not start: {''.join(lines)}"
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        reader.join(timeout=20)
    return "".join(lines)


@pytest.mark.parametrize(
    ("host", "setup", "warns"),
    [
        ("0.0.0.0", "nothing", True),
        ("127.0.0.1", "nothing", False),
        ("localhost", "nothing", False),
        ("0.0.0.0", "user", False),
        ("0.0.0.0", "configured key", False),
    ],
)
def test_serve_warns_when_open_and_not_on_loopback(
    cli_env: dict[str, str], accounts_file: Path, host: str, setup: str, warns: bool
) -> None:
    env = dict(cli_env)
    if setup == "user":
        Accounts(accounts_file).add_user("admin", PASSWORD, "admin")
    elif setup == "configured key":
        env["GLOSSARY_API_KEYS"] = "ops:admin:some-secret-value"
    err = serve_stderr(env, host)
    assert f"serving on http://{host}:" in err  # it did start
    warning = [line for line in err.splitlines() if WARNING in line]
    if warns:
        assert warning == [
            f"glossary: warning: serving on {host} with no accounts and no API "
            "keys: anyone who can reach this address may change every glossary. "
            "Add an admin with `glossary users add NAME --role admin` or a key "
            "with `glossary keys add`."
        ]
    else:
        assert warning == []


def test_serve_warns_for_glossary_host_from_the_environment(cli_env: dict[str, str]) -> None:
    err = serve_stderr({**cli_env, "GLOSSARY_HOST": "0.0.0.0"}, None)
    assert err.startswith("glossary: warning: serving on 0.0.0.0 with no accounts")
