"""Terms-folder faults (issue 11) through the real app: each gives a clear message, never a 500
and never a silent fallback. A read-only folder or file, symbolic links, an invalid file (the
last valid version is used and said so; edits explain instead of looping), a missing folder,
glossary names (length, one extension) and lock files that must not pile up."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from glossary.config import Settings
from glossary.errors import GlossaryFileError, NotFoundError
from glossary.packages import InstalledPackage
from glossary.term import Term
from glossary.termedit import add_term
from glossary.termload import load_glossary, parse_glossary
from glossary.termwrite import create_glossary, delete_glossary, locked
from tests.conftest import build_app
from tests.test_security import LEXICON, snapshot

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
REVISION = re.compile(r'name="revision" value="([0-9a-f]+)"')
SENTENCE = {"text": "Der Herrscher spricht.", "source": "de", "target": "en"}
# Valid up to the last line, which opens a quote it never closes: a YAML syntax error.
BROKEN = (
    "source_language: de\ntarget_language: en\nname: Politics\nterms:\n"
    "  - source: Herrscher\n    target: ruler\n  - source: 'Kanzler\n"
)


@pytest.fixture
def lexicon(installed: InstalledPackage) -> dict[str, str]:
    """The fake engine stands in for the installed de→en model."""
    return LEXICON


def form_of(client: FlaskClient, path: str) -> dict[str, str]:
    """The CSRF token and revision that a form page hands out."""
    page = client.get(path).get_data(as_text=True)
    token, revision = TOKEN.search(page), REVISION.search(page)
    assert token and revision, page
    return {"csrf_token": token.group(1), "revision": revision.group(1)}


def etag(client: FlaskClient, name: str = "p") -> str:
    reply = client.get(f"/api/glossaries/{name}")
    assert reply.status_code == 200, reply.json
    return reply.headers["ETag"]


def locks(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".*.lock"))


def assert_html_error(reply: Any, status: int, *needles: str) -> str:
    """A page for people, not the JSON the APIs answer with."""
    page: str = reply.get_data(as_text=True)
    assert reply.status_code == status, page
    assert reply.mimetype == "text/html" and '{"error"' not in page
    for needle in needles:
        assert needle in page, page
    return page


# --- 1. a read-only folder or file ----------------------------------------------------------


def _refused(path: object) -> OSError:
    return OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(str(path)))


def _refuse_writes_in(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a read-only mount does, for a process (root) that chmod does not stop: every
    creation, write, rename, link and removal of an entry in `folder` fails with EROFS."""
    real_open = os.open

    def inside(path: object) -> bool:
        return (
            isinstance(path, str | os.PathLike)
            and Path(os.fspath(path)).absolute().parent == folder.absolute()
        )

    def guarded_open(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
        if inside(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise _refused(path)
        return real_open(path, flags, mode, **kw)

    def guard(real: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(*args: Any, **kw: Any) -> Any:
            if any(inside(a) for a in args[:2]):
                raise _refused(args[0])
            return real(*args, **kw)

        return guarded

    monkeypatch.setattr(os, "open", guarded_open)
    for name in ("replace", "rename", "link", "unlink", "mkdir"):
        monkeypatch.setattr(os, name, guard(getattr(os, name)))


@pytest.fixture
def read_only(terms_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The terms folder made read-only: by chmod, and where that does not stop this process
    (root, as in CI containers) by refusing its writes the way a read-only mount would."""
    terms_dir.chmod(0o555)
    probe = terms_dir / "probe"
    try:
        probe.touch()
    except PermissionError:
        pass
    else:
        probe.unlink()
        _refuse_writes_in(terms_dir, monkeypatch)
    yield terms_dir
    monkeypatch.undo()
    terms_dir.chmod(0o755)


def test_read_only_folder_page_edit_is_an_html_error_and_changes_nothing(
    client: FlaskClient, terms_dir: Path, read_only: Path
) -> None:
    before = snapshot(terms_dir)
    data = form_of(client, "/terms/p/new") | {"source": "Kanzler", "target": "chancellor"}
    reply = client.post("/terms/p/new", data=data)
    page = assert_html_error(
        reply, 503, f"the terms folder {terms_dir} is read-only", "cannot save glossary p"
    )
    assert 'value="Kanzler"' in page  # the form comes back with the input kept
    data = form_of(client, "/terms/p") | {"source": "Herrscher"}
    assert_html_error(client.post("/terms/p/delete", data=data), 503, "read-only")
    assert snapshot(terms_dir) == before


def test_read_only_folder_api_edit_and_create_are_503_json(
    client: FlaskClient, terms_dir: Path, read_only: Path
) -> None:
    before = snapshot(terms_dir)
    reply = client.put(
        "/api/glossaries/p/terms/Herrscher",
        headers={"If-Match": etag(client)},
        json={"source": "Herrscher", "target": "lord"},
    )
    assert (
        reply.status_code == 503 and "is read-only: cannot save glossary p" in reply.json["error"]
    )
    reply = client.post(
        "/api/glossaries", json={"name": "n", "source_language": "de", "target_language": "en"}
    )
    assert reply.status_code == 503 and "read-only" in reply.json["error"], reply.json
    assert snapshot(terms_dir) == before


def test_read_only_glossary_file_refuses_edits(client: FlaskClient, terms_dir: Path) -> None:
    path = terms_dir / "p.yaml"
    path.chmod(0o444)  # the mode bits count even for root, who passes every access check
    before = path.read_bytes()
    reply = client.post(
        "/api/glossaries/p/terms",
        headers={"If-Match": etag(client)},
        json={"source": "Kanzler", "target": "chancellor"},
    )
    assert reply.status_code == 503, reply.json
    assert f"the glossary file {path} is read-only" in reply.json["error"]
    assert path.read_bytes() == before


# --- 2. symbolic links ----------------------------------------------------------------------


@pytest.fixture
def links(terms_dir: Path, tmp_path: Path) -> Path:
    """A link out of the folder (to a valid glossary), one inside it, and a dangling one."""
    outside = tmp_path / "outside.yaml"
    create_glossary(outside, "Secret", "de", "en", [Term("spricht", "whispers")])
    (terms_dir / "out.yaml").symlink_to(outside)
    (terms_dir / "in.yaml").symlink_to(terms_dir / "p.yaml")
    (terms_dir / "dangling.yaml").symlink_to(tmp_path / "nothing.yaml")
    return outside


def test_symlinks_are_ignored_and_listings_keep_working(
    client: FlaskClient, links: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="glossary.store")
    for _ in range(2):
        listed = client.get("/api/glossaries")
        assert listed.status_code == 200, listed.json
        assert [g["name"] for g in listed.json["glossaries"]] == ["p"]
    warned = [r.getMessage() for r in caplog.records if "symbolic link" in r.getMessage()]
    assert sorted(m.split()[1] for m in warned) == ["dangling.yaml", "in.yaml", "out.yaml"]
    page = client.get("/terms/").get_data(as_text=True)
    assert "out.yaml in the terms folder" in page and "is ignored" in page
    reply = client.post("/api/translate", json=SENTENCE)
    assert reply.status_code == 200 and reply.json["text"] == "The ruler speaks."


@pytest.mark.parametrize("name", ["out", "in", "dangling"])
def test_a_symlinked_name_is_not_found_and_never_written(
    client: FlaskClient, links: Path, name: str
) -> None:
    before = links.read_bytes()
    assert client.get(f"/api/glossaries/{name}").status_code == 404
    reply = client.post(
        f"/api/glossaries/{name}/terms",
        headers={"If-Match": '"x"'},
        json={"source": "Hund", "target": "dog"},
    )
    assert reply.status_code == 404 and "symbolic link" in reply.json["error"]
    assert links.read_bytes() == before


# --- 3. an invalid file: the last valid version, said so; edits explain --------------------


def break_file(client: FlaskClient, terms_dir: Path) -> tuple[str, GlossaryFileError]:
    """Load `p`, then make its file invalid; returns the HH:MM of the load and the error."""
    loaded = time.strftime("%H:%M")
    client.get("/api/glossaries/p")
    (terms_dir / "p.yaml").write_text(BROKEN, encoding="utf-8")
    with pytest.raises(GlossaryFileError) as caught:
        parse_glossary(BROKEN.encode(), "p.yaml")
    assert caught.value.line is not None
    return loaded, caught.value


def expected_warning(loaded: str, error: GlossaryFileError) -> re.Pattern[str]:
    now = time.strftime("%H:%M")  # the load may have been in the minute before
    return re.compile(
        rf"glossary p: using the last valid version from ({loaded}|{now}); "
        rf"line {error.line}: {re.escape(error.message)}"
    )


def test_invalid_file_last_valid_version_is_used_and_said_in_api(
    client: FlaskClient, terms_dir: Path
) -> None:
    loaded, error = break_file(client, terms_dir)
    reply = client.post("/api/translate", json=SENTENCE)
    assert reply.status_code == 200 and reply.json["text"] == "The ruler speaks."
    [warning] = reply.json["warnings"]
    assert expected_warning(loaded, error).fullmatch(warning), warning
    create_glossary(terms_dir / "q.yaml", "Other", "de", "en", [Term("Hund", "dog")])
    other = client.post("/api/translate", json=SENTENCE | {"glossaries": ["q"]})
    assert other.status_code == 200 and other.json["text"] == "The lord speaks."
    assert other.json["warnings"] == []  # only about the glossaries a translation used


@pytest.mark.parametrize("path", ["/", "/terms/", "/terms/p"])
def test_invalid_file_banner_on_pages(client: FlaskClient, terms_dir: Path, path: str) -> None:
    loaded, error = break_file(client, terms_dir)
    page = client.get(path).get_data(as_text=True)
    banner = re.search(r'<p class="warning" role="status">([^<]*)</p>', page)
    assert banner and expected_warning(loaded, error).fullmatch(banner.group(1)), page


def test_invalid_file_api_edit_explains_instead_of_412(
    client: FlaskClient, terms_dir: Path
) -> None:
    last_valid = etag(client)
    _loaded, error = break_file(client, terms_dir)
    on_disk = f'"{hashlib.sha256(BROKEN.encode()).hexdigest()}"'
    for revision in (last_valid, on_disk):  # neither the shown nor the file's own revision
        reply = client.put(
            "/api/glossaries/p/terms/Herrscher",
            headers={"If-Match": revision},
            json={"source": "Herrscher", "target": "lord"},
        )
        assert reply.status_code == 409, reply.json
        assert f"is invalid at line {error.line}" in reply.json["error"]
        assert "must be fixed" in reply.json["error"]
    assert (terms_dir / "p.yaml").read_text(encoding="utf-8") == BROKEN


def test_invalid_file_page_edit_explains_instead_of_looping(
    client: FlaskClient, terms_dir: Path
) -> None:
    _loaded, error = break_file(client, terms_dir)
    data = form_of(client, "/terms/p/edit?source=Herrscher") | {
        "original": "Herrscher",
        "source": "Herrscher",
        "target": "lord",
    }
    for _ in range(2):  # saving again gives the same answer, not another "reload"
        reply = client.post("/terms/p/edit", data=data)
        page = assert_html_error(reply, 409, f"is invalid at line {error.line}", "must be fixed")
        assert "Someone else changed" not in page
        data = (
            form_of(client, "/terms/p/edit?source=Herrscher")
            | data
            | {"revision": REVISION.findall(page)[0]}
        )
    deleted = client.post(
        "/terms/p/delete", data=form_of(client, "/terms/p") | {"source": "Herrscher"}
    )
    assert_html_error(deleted, 409, "must be fixed")
    assert (terms_dir / "p.yaml").read_text(encoding="utf-8") == BROKEN


# --- 4. a missing terms folder --------------------------------------------------------------


@pytest.fixture
def gone(app_settings: Settings, lexicon: dict[str, str], tmp_path: Path) -> FlaskClient:
    return build_app(replace(app_settings, terms_dir=tmp_path / "gone"), lexicon).test_client()


@pytest.mark.parametrize("names", [None, ["p"]])
def test_missing_folder_translation_is_a_503(
    gone: FlaskClient, tmp_path: Path, names: list[str] | None
) -> None:
    body = SENTENCE if names is None else SENTENCE | {"glossaries": names}
    reply = gone.post("/api/translate", json=body)
    assert reply.status_code == 503, reply.json
    assert f"the terms folder {tmp_path / 'gone'} is missing" in reply.json["error"]
    lt = gone.post("/translate", json={"q": SENTENCE["text"], "source": "de", "target": "en"})
    assert lt.status_code == 503 and "is missing" in lt.json["error"]
    deepl = gone.post(
        "/v2/translate", json={"text": SENTENCE["text"], "source_lang": "DE", "target_lang": "EN"}
    )
    assert deepl.status_code == 503 and "is missing" in deepl.json["message"]


def test_missing_folder_page_says_so(gone: FlaskClient, tmp_path: Path) -> None:
    message = f"the terms folder {tmp_path / 'gone'} is missing"
    page = gone.get("/").get_data(as_text=True)
    token = TOKEN.search(page)
    assert message in page and token
    data = {
        "csrf_token": token.group(1),
        "text": SENTENCE["text"],
        "pair": "de:en",
        "mode": "constrain",
    }
    reply = gone.post("/", data=data)
    page = assert_html_error(reply, 503, message)
    assert page.count(message) == 1 and 'id="result"' not in page


def test_folder_deleted_while_running_is_noticed(client: FlaskClient, terms_dir: Path) -> None:
    assert client.post("/api/translate", json=SENTENCE).status_code == 200
    shutil.rmtree(terms_dir)
    reply = client.post("/api/translate", json=SENTENCE)
    assert reply.status_code == 503 and "is missing" in reply.json["error"]


def test_creating_a_glossary_creates_the_missing_folder(gone: FlaskClient, tmp_path: Path) -> None:
    reply = gone.post(
        "/api/glossaries",
        json={
            "name": "p",
            "source_language": "de",
            "target_language": "en",
            "terms": [{"source": "Herrscher", "target": "ruler"}],
        },
    )
    assert reply.status_code == 201 and (tmp_path / "gone" / "p.yaml").is_file()
    translated = gone.post("/api/translate", json=SENTENCE)
    assert translated.status_code == 200
    assert translated.json["text"] == "The ruler speaks."


# --- 5. names -------------------------------------------------------------------------------


def create(client: FlaskClient, name: str) -> Any:
    return client.post(
        "/api/glossaries", json={"name": name, "source_language": "de", "target_language": "en"}
    )


def test_name_length_limit_is_a_clear_400(client: FlaskClient, terms_dir: Path) -> None:
    before = snapshot(terms_dir)
    for reply in (create(client, "a" * 300), client.get(f"/api/glossaries/{'a' * 300}")):
        assert reply.status_code == 400, reply.json
        assert "300 characters long; the limit is 100" in reply.json["error"]
    assert snapshot(terms_dir) == before
    assert create(client, "a" * 100).status_code == 201


@pytest.mark.parametrize("name", ["x.yaml", "x.yml", "x.YAML"])
def test_name_with_an_extension_is_refused_not_doubled(
    client: FlaskClient, terms_dir: Path, name: str
) -> None:
    reply = create(client, name)
    assert reply.status_code == 400 and "name it 'x'" in reply.json["error"], reply.json
    assert sorted(p.name for p in terms_dir.glob("x*")) == []


def test_file_with_a_double_extension_is_ignored_with_a_warning(
    client: FlaskClient, terms_dir: Path
) -> None:
    shutil.copy(terms_dir / "p.yaml", terms_dir / "x.yaml.yaml")
    listed = client.get("/api/glossaries")
    assert listed.status_code == 200 and [g["name"] for g in listed.json["glossaries"]] == ["p"]
    page = client.get("/terms/").get_data(as_text=True)
    assert "x.yaml.yaml in the terms folder" in page and "name it &#39;x&#39;" in page


# --- 6. lock files --------------------------------------------------------------------------


def test_lock_files_do_not_pile_up_after_deepl_deletes(
    client: FlaskClient, terms_dir: Path
) -> None:
    for _ in range(3):
        made = client.post(
            "/v2/glossaries",
            json={"name": "N", "source_lang": "DE", "target_lang": "EN", "entries": "Hund\tdog"},
        )
        assert made.status_code == 201, made.json
        assert locks(terms_dir) != []  # the lock beside the new file, while it exists
        reply = client.delete(f"/v2/glossaries/{made.json['glossary_id']}")
        assert reply.status_code == 204
        assert client.get("/v2/glossaries").status_code == 200
    assert locks(terms_dir) == [".p.yaml.lock"]  # only that of the glossary still there


def test_lock_of_a_file_deleted_by_hand_goes_at_the_next_listing(
    client: FlaskClient, terms_dir: Path
) -> None:
    client.post(
        "/api/glossaries/p/terms",
        headers={"If-Match": etag(client)},
        json={"source": "Kanzler", "target": "chancellor"},
    )
    assert locks(terms_dir) == [".p.yaml.lock"]
    (terms_dir / "p.yaml").unlink()
    assert client.get("/terms/").status_code == 200
    assert locks(terms_dir) == []


def test_delete_removes_the_lock_and_a_waiting_edit_finds_the_file_gone(
    terms_dir: Path,
) -> None:
    """The lock file goes with the glossary; an edit that waited on it must not write the
    glossary back, nor hold a lock that a newcomer could also take (see filelock._open_lock)."""
    path = terms_dir / "p.yaml"
    revision = load_glossary(path).revision
    outcome: list[BaseException] = []

    def edit() -> None:
        try:
            add_term(path, Term("Kanzler", "chancellor"), revision=revision)
        except BaseException as exc:  # reported to the main thread
            outcome.append(exc)

    waiter = threading.Thread(target=edit)
    with locked(path):
        waiter.start()
        time.sleep(0.3)  # the edit is now waiting on the lock file that is about to go
        path.unlink()
    waiter.join(10)
    assert [type(exc) for exc in outcome] == [NotFoundError]
    assert not path.exists() and locks(terms_dir) == []
    create_glossary(path, "Again", "de", "en", [])
    delete_glossary(path)
    assert list(terms_dir.iterdir()) == []


def test_a_waiter_on_a_deleted_lock_file_does_not_share_the_lock_with_a_newcomer(
    terms_dir: Path,
) -> None:
    """Why deleting lock files is safe: whoever wakes up holding a lock file that was unlinked
    meanwhile starts over, so it never holds "the" lock alongside one who locked the new file."""
    path = terms_dir / "p.yaml"
    inside, most = [0], [0]
    guard = threading.Lock()

    def hold() -> None:
        with locked(path):
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.3)
            with guard:
                inside[0] -= 1

    waiter = threading.Thread(target=hold)
    with locked(path):
        waiter.start()
        time.sleep(0.3)  # the waiter now waits on the lock file that goes when we let go
        path.unlink()
    newcomer = threading.Thread(target=hold)
    newcomer.start()
    waiter.join(10)
    newcomer.join(10)
    assert most == [1] and locks(terms_dir) == []
