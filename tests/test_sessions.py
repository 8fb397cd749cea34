"""Sessions survive restarts without GLOSSARY_SECRET_KEY (issue 11): the key made on first
start is kept in the state folder (owner-only, written atomically) and read on every later
start, so a form typed before a restart is still accepted after it and its text comes back
translated; a configured key still wins."""

from __future__ import annotations

import dataclasses
import re
import stat
import threading
from pathlib import Path

import pytest
from flask import Flask

from glossary.config import Settings
from glossary.engines import EngineRegistry
from glossary.packages import InstalledPackage
from tests.fakes import PhraseEngine
from web.app import create_app
from web.csrf import kept_secret

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
TYPED = "Der Herrscher spricht."


def start(settings: Settings, terms_dir: Path) -> Flask:
    """One server start: a fresh app over the same settings (no SECRET_KEY in its config)."""
    settings = dataclasses.replace(settings, terms_dir=terms_dir)
    registry = EngineRegistry(settings, loader=lambda package: PhraseEngine({"der": "the"}))
    return create_app(settings, registry, test_config={"TESTING": True})


def test_a_form_typed_before_a_restart_is_accepted_after_it(
    settings: Settings, installed: InstalledPackage, terms_dir: Path
) -> None:
    before = start(settings, terms_dir).test_client()
    token = TOKEN.search(before.get("/").get_data(as_text=True))
    cookie = before.get_cookie("session")
    assert token is not None and cookie is not None

    after = start(settings, terms_dir).test_client()  # the restart
    after.set_cookie("session", cookie.value, domain=cookie.domain)
    reply = after.post(
        "/", data={"csrf_token": token.group(1), "text": TYPED, "pair": "de:en", "mode": "off"}
    )
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert TYPED in reply.get_data(as_text=True)


def test_the_key_is_kept_private_in_the_state_folder(settings: Settings, terms_dir: Path) -> None:
    app = start(settings, terms_dir)
    path = settings.state_dir / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert app.config["SECRET_KEY"] == path.read_text().strip()
    assert len(app.config["SECRET_KEY"]) >= 64
    assert start(settings, terms_dir).config["SECRET_KEY"] == app.config["SECRET_KEY"]
    assert not list(settings.state_dir.glob(".secret_key*"))  # no temporary file left


def test_a_configured_key_wins(settings: Settings, terms_dir: Path) -> None:
    configured = dataclasses.replace(settings, secret_key="configured")
    assert start(configured, terms_dir).config["SECRET_KEY"] == "configured"
    assert not (settings.state_dir / "secret_key").exists()


def test_processes_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    state, keys = tmp_path / "state", []
    barrier = threading.Barrier(8)

    def one_start() -> None:
        barrier.wait()
        keys.append(kept_secret(state))

    threads = [threading.Thread(target=one_start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert (state / "secret_key").read_text().strip() == keys[0]


def test_an_unusable_state_folder_still_starts(
    settings: Settings, terms_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    app = start(dataclasses.replace(settings, state_dir=blocked), terms_dir)
    assert len(app.config["SECRET_KEY"]) >= 64
    assert "cannot keep the session key" in caplog.text
