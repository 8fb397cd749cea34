"""Bad input (issue 5): every kind of bad request, for every API that takes text or terms, gets
a clear 4xx in that API's own error shape, never a 5xx, and loses nothing (the glossary files
are byte-for-byte unchanged after every refused request).

One case table per channel; each covers the issue's list: invalid JSON, wrong types, missing
fields, unknown languages, a 10 MB body, deeply nested JSON (100,000 levels), invalid UTF-8
(raw bytes, a bad query string, a lone surrogate escape), NUL and control characters, and a
100,000-character line (translated under the configured limit, a clear 4xx over it). Then
hostile files: a YAML alias bomb / Python tag in the terms folder, TBX with external entities
through every door that takes a file.

Variants already in the per-API tests (test_api_*.py) are not repeated here; those files hold
more rows of the same kinds (e.g. `{` as invalid JSON, `xx` as a source language)."""

from __future__ import annotations

import dataclasses
import re
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from glossary.config import Settings
from glossary.engines import EngineRegistry
from glossary.packages import InstalledPackage
from tests.fakes import PhraseEngine
from web.app import create_app
from web.deepl import id_for

LEXICON = {"der": "the", "herrscher": "lord", "spricht": "speaks", "hund": "dog"}
LIMIT = 50_000  # the max_chars of the "limited" app, below the 100,000-character line
# One line, no sentence end, two glossary terms. (A line dense with terms is slow: see the
# note in the report on issue 5; that is load, not bad input.)
LONG_LINE = "Der Herrscher " + ("und der Hund spricht " * 5000)[: 100_000 - 24] + " Herrscher"
DEEP = b"[" * 100_000
TEN_MB = b'{"q": "' + b"a" * (10 * 1024 * 1024) + b'"}'
CONTROL = "Der\x00Herrscher\x01spricht\x1b[31m\x7f\x85."
FORM = "application/x-www-form-urlencoded"


def raw(body: bytes, content_type: str = "application/json") -> dict[str, Any]:
    return {"data": body, "content_type": content_type}


# Rows: (label, request arguments for the test client, status, fragment of the message).
# `limited` in the arguments: send it to the app whose max_chars is LIMIT.

LIBRETRANSLATE: list[tuple[str, dict[str, Any], int, str]] = [
    ("invalid JSON: trailing comma", raw(b'{"q": "x", "source": "de",}'), 400, "not valid JSON"),
    ("invalid JSON: truncated", raw(b'{"q": "x", "sou'), 400, "not valid JSON"),
    (
        "wrong type: q an object",
        {"json": {"q": {"a": 1}, "source": "de", "target": "en"}},
        400,
        "q must be a string",
    ),
    (
        "wrong type: target a list",
        {"json": {"q": "x", "source": "de", "target": ["en"]}},
        400,
        "target must be a string",
    ),
    (
        "wrong type: alternatives a list",
        {"json": {"q": "x", "source": "de", "target": "en", "alternatives": [1]}},
        400,
        "alternatives",
    ),
    ("missing: empty object", {"json": {}}, 400, "missing q"),
    ("missing: form with q only", raw(b"q=Hund", FORM), 400, "missing source"),
    (
        "unknown language: target",
        {"json": {"q": "x", "source": "de", "target": "zz"}},
        400,
        "zz is not supported",
    ),
    (
        "unknown language: digits",
        {"json": {"q": "x", "source": "12", "target": "en"}},
        400,
        "12 is not supported",
    ),
    ("10 MB body", raw(TEN_MB), 413, "larger than the limit"),
    ("deeply nested JSON", raw(DEEP), 400, "nested too deeply"),
    ("deeply nested JSON in q", raw(b'{"q": ' + DEEP), 400, "nested too deeply"),
    ("invalid UTF-8 in the query string", {"query": "q=%ff&source=de&target=en"}, 400, "UTF-8"),
    (
        "lone surrogate escape",
        raw(b'{"q": "a\\ud800", "source": "de", "target": "en"}'),
        400,
        "surrogate",
    ),
    (
        "100,000-character line over the limit",
        {"json": {"q": LONG_LINE, "source": "de", "target": "en"}, "limited": True},
        400,
        f"exceeds text limit ({LIMIT})",
    ),
]

DEEPL: list[tuple[str, dict[str, Any], int, str]] = [
    ("invalid JSON: truncated", raw(b'{"text": ["x"'), 400, "not valid JSON"),
    (
        "wrong type: text an object",
        {"json": {"text": {"a": 1}, "target_lang": "EN"}},
        400,
        "'text' must be",
    ),
    (
        "wrong type: target_lang a list",
        {"json": {"text": ["x"], "target_lang": ["EN"]}},
        400,
        "'target_lang' not supported",
    ),
    ("missing: empty object", {"json": {}}, 400, "'text' not specified"),
    (
        "missing: form without target_lang",
        raw(b"text=Hund", FORM),
        400,
        "'target_lang' not specified",
    ),
    (
        "unknown language: source_lang",
        {"json": {"text": ["x"], "source_lang": "ZZ", "target_lang": "EN-GB"}},
        400,
        "'source_lang' not supported",
    ),
    (
        "unknown language: form target_lang",
        raw(b"text=Hund&target_lang=ZZ", FORM),
        400,
        "'target_lang' not supported",
    ),
    ("10 MB body", raw(TEN_MB), 413, "larger than the limit"),
    ("deeply nested JSON", raw(DEEP), 400, "nested too deeply"),
    (
        "invalid UTF-8: raw bytes in JSON",
        raw(b'{"text": ["\xff\xfe"], "target_lang": "EN"}'),
        400,
        "not valid JSON",
    ),
    ("invalid UTF-8 in the query string", {"query": "text=%c3%28&target_lang=EN"}, 400, "UTF-8"),
    ("lone surrogate escape", raw(b'{"text": ["\\udfff"], "target_lang": "EN"}'), 400, "surrogate"),
    (
        "100,000-character line over the limit",
        {"json": {"text": [LONG_LINE], "target_lang": "EN"}, "limited": True},
        400,
        f"the limit is {LIMIT}",
    ),
]

OWN_TRANSLATE: list[tuple[str, dict[str, Any], int, str]] = [
    ("invalid JSON: single quotes", raw(b"{'text': 'x'}"), 400, "not valid JSON"),
    (
        "wrong type: text a list",
        {"json": {"text": ["x"], "source": "de", "target": "en"}},
        400,
        "'text' must be",
    ),
    (
        "wrong type: glossaries of numbers",
        {"json": {"text": "x", "source": "de", "target": "en", "glossaries": [1]}},
        400,
        "'glossaries'",
    ),
    (
        "wrong type: mode a number",
        {"json": {"text": "x", "source": "de", "target": "en", "mode": 3}},
        400,
        "'mode'",
    ),
    ("missing: empty object", {"json": {}}, 400, "'text'"),
    ("missing: target", {"json": {"text": "x", "source": "de"}}, 400, "'target'"),
    (
        "unknown language: source",
        {"json": {"text": "x", "source": "zz", "target": "en"}},
        400,
        "not a language code",
    ),
    (
        "unknown language: a name, not a code",
        {"json": {"text": "x", "source": "de", "target": "Englisch"}},
        400,
        "not a language code",
    ),
    ("10 MB body", raw(TEN_MB), 413, "larger than the limit"),
    ("deeply nested JSON", raw(DEEP), 400, "nested too deeply"),
    (
        "invalid UTF-8: raw bytes in JSON",
        raw(b'{"text": "\xc3\x28", "source": "de", "target": "en"}'),
        400,
        "not valid JSON",
    ),
    (
        "lone surrogate escape",
        raw(b'{"text": "\\ud83d", "source": "de", "target": "en"}'),
        400,
        "surrogate",
    ),
    ("form instead of JSON", raw(b"text=x&source=de&target=en", FORM), 415, "JSON"),
    (
        "100,000-character line over the limit",
        {"json": {"text": LONG_LINE, "source": "de", "target": "en"}, "limited": True},
        400,
        f"the limit is {LIMIT}",
    ),
]

TERM_EDIT: list[tuple[str, dict[str, Any], int, str]] = [
    ("invalid JSON: missing value", raw(b'{"source": "A", "target": }'), 400, "not valid JSON"),
    ("invalid JSON: a bare string", raw(b'"Kanzler"'), 400, "must be an object"),
    ("wrong type: target a number", {"json": {"source": "Kanzler", "target": 5}}, 400, "'target'"),
    (
        "wrong type: forbidden of numbers",
        {"json": {"source": "Kanzler", "target": "x", "forbidden": [1]}},
        400,
        "'forbidden'",
    ),
    (
        "wrong type: case_sensitive a number",
        {"json": {"source": "Kanzler", "target": "x", "case_sensitive": 1}},
        400,
        "'case_sensitive'",
    ),
    ("missing: empty object", {"json": {}}, 400, "'source'"),
    ("missing: source", {"json": {"target": "chancellor"}}, 400, "'source'"),
    (
        "unknown language: not a term field",
        {"json": {"source": "Kanzler", "target": "x", "language": "zz"}},
        400,
        "unknown term fields: language",
    ),
    ("10 MB body", raw(TEN_MB), 413, "larger than the limit"),
    ("deeply nested JSON", raw(DEEP), 400, "nested too deeply"),
    (
        "invalid UTF-8: raw bytes in JSON",
        raw(b'{"source": "K\xe4nzler", "target": "x"}'),
        400,
        "not valid JSON",
    ),
    ("lone surrogate escape", raw(b'{"source": "a\\ud800", "target": "x"}'), 400, "surrogate"),
    (
        "NUL in source",
        {"json": {"source": "Kan\x00zler", "target": "x"}},
        400,
        "control character U+0000",
    ),
    (
        "escape sequence in target",
        {"json": {"source": "Kanzler", "target": "x\x1b[31m"}},
        400,
        "control character U+001B",
    ),
    (
        "C1 control in target_plural",
        {"json": {"source": "Kanzler", "target": "x", "target_plural": "x\x85s"}},
        400,
        "control character U+0085",
    ),
    (
        "line separator in note",
        {"json": {"source": "Kanzler", "target": "x", "note": "a\u2028b"}},
        400,
        "control character U+2028",
    ),
    (
        "100,000-character source",
        {"json": {"source": "K" * 100_000, "target": "x"}},
        400,
        "1024 UTF-8 bytes",
    ),
]


def make_app(settings: Settings, terms_dir: Path, max_chars: int = 200_000) -> Flask:
    registry = EngineRegistry(settings, loader=lambda package: PhraseEngine(LEXICON))
    return create_app(
        dataclasses.replace(settings, terms_dir=terms_dir, max_chars=max_chars),
        registry,
        test_config={"TESTING": True, "SECRET_KEY": "t"},
    )


@pytest.fixture
def apps(settings: Settings, installed: InstalledPackage, terms_dir: Path) -> dict[bool, Flask]:
    """The app with the default limit (False) and with max_chars=LIMIT (True)."""
    return {False: make_app(settings, terms_dir), True: make_app(settings, terms_dir, LIMIT)}


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def send(
    apps: dict[bool, Flask], path: str, args: dict[str, Any], headers: dict[str, str] | None = None
) -> Any:
    args = dict(args)
    client = apps[args.pop("limited", False)].test_client()
    query = args.pop("query", "")
    return client.post(f"{path}?{query}" if query else path, headers=headers or {}, **args)


def refused(reply: Any, status: int, fragment: str, key: str) -> None:
    assert reply.status_code == status, reply.get_data()[:300]
    body = reply.get_json()
    assert isinstance(body, dict) and isinstance(body.get(key), str), body
    assert {"error", "message"} - {key} & set(body) == set(), body  # one API, one shape
    assert fragment in body[key], body[key]


def ids(table: list[tuple[str, dict[str, Any], int, str]]) -> list[str]:
    return [row[0] for row in table]


@pytest.mark.parametrize(
    ("label", "args", "status", "fragment"), LIBRETRANSLATE, ids=ids(LIBRETRANSLATE)
)
def test_libretranslate_refuses(
    apps: dict[bool, Flask],
    terms_dir: Path,
    label: str,
    args: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    before = snapshot(terms_dir)
    refused(send(apps, "/translate", args), status, fragment, "error")
    assert snapshot(terms_dir) == before


@pytest.mark.parametrize(("label", "args", "status", "fragment"), DEEPL, ids=ids(DEEPL))
def test_deepl_refuses(
    apps: dict[bool, Flask],
    terms_dir: Path,
    label: str,
    args: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    before = snapshot(terms_dir)
    reply = send(apps, "/v2/translate", args, {"Authorization": "DeepL-Auth-Key any"})
    refused(reply, status, fragment, "message")
    assert snapshot(terms_dir) == before


@pytest.mark.parametrize(
    ("label", "args", "status", "fragment"), OWN_TRANSLATE, ids=ids(OWN_TRANSLATE)
)
def test_own_translate_refuses(
    apps: dict[bool, Flask],
    terms_dir: Path,
    label: str,
    args: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    before = snapshot(terms_dir)
    refused(send(apps, "/api/translate", args), status, fragment, "error")
    assert snapshot(terms_dir) == before


@pytest.mark.parametrize(("label", "args", "status", "fragment"), TERM_EDIT, ids=ids(TERM_EDIT))
def test_term_edit_refuses_and_file_is_unchanged(
    apps: dict[bool, Flask],
    terms_dir: Path,
    label: str,
    args: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    etag = apps[False].test_client().get("/api/glossaries/p").headers["ETag"]
    before = snapshot(terms_dir)
    reply = send(apps, "/api/glossaries/p/terms", args, {"If-Match": etag})
    refused(reply, status, fragment, "error")
    assert snapshot(terms_dir) == before
    # and the glossary still answers, at the same revision
    assert apps[False].test_client().get("/api/glossaries/p").headers["ETag"] == etag


# --- what is accepted: control characters and long lines in text to translate -------------

ACCEPTED: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "LibreTranslate: control characters kept",
        "/translate",
        {"q": CONTROL, "source": "de", "target": "en"},
        "translatedText",
    ),
    (
        "DeepL: control characters kept",
        "/v2/translate",
        {"text": [CONTROL], "target_lang": "EN-GB"},
        "translations",
    ),
    (
        "own: control characters kept",
        "/api/translate",
        {"text": CONTROL, "source": "de", "target": "en"},
        "text",
    ),
    (
        "LibreTranslate: 100,000-character line",
        "/translate",
        {"q": LONG_LINE, "source": "de", "target": "en"},
        "translatedText",
    ),
    (
        "DeepL: 100,000-character line",
        "/v2/translate",
        {"text": [LONG_LINE], "target_lang": "EN-GB"},
        "translations",
    ),
    (
        "own: 100,000-character line",
        "/api/translate",
        {"text": LONG_LINE, "source": "de", "target": "en"},
        "text",
    ),
]


def _translated(body: dict[str, Any], key: str) -> str:
    value = body[key]
    return str(value[0]["text"] if key == "translations" else value)


@pytest.mark.parametrize(("label", "path", "body", "key"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_text_with_controls_or_a_long_line_is_translated(
    apps: dict[bool, Flask], label: str, path: str, body: dict[str, Any], key: str
) -> None:
    """Text to translate may hold control characters (a pasted binary, a terminal colour
    code): they are translated around and come back; a 100,000-character line within the
    configured limit (200,000 here) is translated whole, glossary applied."""
    reply = (
        apps[False]
        .test_client()
        .post(path, json=body, headers={"Authorization": "DeepL-Auth-Key any"})
    )
    assert reply.status_code == 200, reply.get_data()[:300]
    text = _translated(reply.get_json(), key)
    if "control" in label:
        assert all(c in text for c in "\x00\x01\x1b\x7f") and "ruler" in text
    else:
        assert text.count("ruler") == 2 and "lord" not in text and len(text) > 90_000


@pytest.mark.parametrize("text", [CONTROL, "\x00" * 50, "\t\x0b\x0c\r\n" * 20, LONG_LINE[:3000]])
def test_real_model_path_takes_control_characters_and_long_lines(
    settings: Settings, installed: InstalledPackage, terms_dir: Path, text: str
) -> None:
    """The same through the tiny real CTranslate2 model (SentencePiece sees the characters)."""
    app = create_app(dataclasses.replace(settings, terms_dir=terms_dir))
    reply = app.test_client().post("/translate", json={"q": text, "source": "de", "target": "en"})
    assert reply.status_code == 200, reply.get_data()[:300]
    assert isinstance(reply.get_json()["translatedText"], str)


# --- the page: oversize bodies -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/terms/p/new", "/terms/p/import"])
def test_page_forms_refuse_a_10mb_body_with_a_page(
    apps: dict[bool, Flask], terms_dir: Path, path: str
) -> None:
    before = snapshot(terms_dir)
    reply = apps[False].test_client().post(path, data={"text": "x" * (10 * 1024 * 1024)})
    assert reply.status_code == 413
    page = reply.get_data(as_text=True)
    assert "larger than the limit" in page and "Traceback" not in page
    assert snapshot(terms_dir) == before


# --- hostile glossary files in the terms folder ----------------------------------------------

ALIAS_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    + "source_language: de\ntarget_language: en\nname: x\nterms: *i\n"
)


def python_tag(marker: Path) -> str:
    return (
        "source_language: de\ntarget_language: en\nname: x\nterms:\n  - source: Hund\n"
        f"    target: !!python/object/apply:os.system ['touch {marker}']\n"
    )


@pytest.mark.parametrize(("kind", "where"), [("alias bomb", ":1:4:"), ("python tag", ":6:13:")])
def test_hostile_yaml_in_the_terms_folder_is_reported_not_fatal(
    apps: dict[bool, Flask], terms_dir: Path, tmp_path: Path, kind: str, where: str
) -> None:
    marker = tmp_path / "pwned"
    (terms_dir / "bad.yaml").write_text(
        ALIAS_BOMB if kind == "alias bomb" else python_tag(marker), encoding="utf-8"
    )
    client = apps[False].test_client()
    # the page and the APIs still answer, with the good glossary applied
    assert client.get("/").status_code == 200
    listing = client.get("/terms/").get_data(as_text=True)
    assert f"bad.yaml{where}" in listing
    errors = client.get("/api/glossaries").get_json()["errors"]
    assert f"bad.yaml{where}" in errors["bad"]
    done = client.post("/translate", json={"q": "Der Herrscher.", "source": "de", "target": "en"})
    assert done.status_code == 200 and done.get_json()["translatedText"] == "The ruler."
    # naming the bad file is a clear 400 with file:line, in each API's shape
    lt = client.post(
        "/translate", json={"q": "x", "source": "de", "target": "en", "glossary": "bad"}
    )
    assert lt.status_code == 400 and f"bad.yaml{where}" in lt.get_json()["error"]
    own = client.post(
        "/api/translate", json={"text": "x", "source": "de", "target": "en", "glossaries": ["bad"]}
    )
    assert own.status_code == 400 and own.get_json()["detail"].startswith("line ")
    deepl = client.post(
        "/v2/translate",
        json={
            "text": ["x"],
            "source_lang": "DE",
            "target_lang": "EN",
            "glossary_id": id_for("bad"),
        },
        headers={"Authorization": "DeepL-Auth-Key any"},
    )
    assert deepl.status_code == 400 and f"bad.yaml{where}" in deepl.get_json()["message"]
    assert client.get("/terms/bad").status_code == 400
    assert not marker.exists()


def test_a_good_file_turned_hostile_keeps_serving_its_last_good_version(
    apps: dict[bool, Flask], terms_dir: Path
) -> None:
    client = apps[False].test_client()
    ask = {"q": "Der Herrscher.", "source": "de", "target": "en", "glossary": "p"}
    assert client.post("/translate", json=ask).get_json()["translatedText"] == "The ruler."
    (terms_dir / "p.yaml").write_text(ALIAS_BOMB, encoding="utf-8")
    assert client.post("/translate", json=ask).get_json()["translatedText"] == "The ruler."
    assert "p.yaml:1:4:" in client.get("/api/glossaries").get_json()["errors"]["p"]


# --- hostile files through the doors that take files -----------------------------------------

XXE_TBX = (
    b'<?xml version="1.0"?>\n<!DOCTYPE tbx [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b'<tbx type="TBX-Basic"><text><body><termEntry>'
    b'<langSet xml:lang="de"><tig><term>&x;</term></tig></langSet>'
    b'<langSet xml:lang="en"><tig><term>y</term></tig></langSet>'
    b"</termEntry></body></text></tbx>"
)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
REVISION = re.compile(r'name="revision" value="([0-9a-f]+)"')

IMPORTS: list[tuple[str, bytes, str]] = [
    ("x.tbx", XXE_TBX, "entity declarations and external references are not allowed"),
    ("x.xml", XXE_TBX.replace(b"file:///etc/passwd", b"http://127.0.0.1:9/x"), "not allowed"),
    # the import preview names the file in its heading and the line beside the problem
    ("x.yaml", ALIAS_BOMB.encode(), "<td>line 1</td><td></td><td>YAML anchors and aliases"),
    ("x.yaml", python_tag(Path("/tmp/never")).encode(), "<td>line 6</td><td></td><td>YAML tags"),
    ("x.tsv", b"Hund\x00\tdog\n", "control character U+0000"),
    ("x.csv", b"\xff\xfe,x\n", "UTF-8"),
]


@pytest.mark.parametrize(
    ("filename", "data", "fragment"), IMPORTS, ids=[f"{i[0]}-{n}" for n, i in enumerate(IMPORTS)]
)
def test_web_import_refuses_hostile_files(
    apps: dict[bool, Flask], terms_dir: Path, filename: str, data: bytes, fragment: str
) -> None:
    client = apps[False].test_client()
    page = client.get("/terms/p").get_data(as_text=True)
    token, revision = TOKEN.search(page), REVISION.search(page)
    assert token and revision
    before = snapshot(terms_dir)
    reply = client.post(
        "/terms/p/import",
        content_type="multipart/form-data",
        data={
            "csrf_token": token.group(1),
            "revision": revision.group(1),
            "file": (BytesIO(data), filename),
        },
    )
    assert reply.status_code == 400
    text = reply.get_data(as_text=True)
    assert fragment.replace("'", "&#39;") in text and "root:" not in text
    if "<td>line" in fragment:  # a preview: the file is named in its heading
        assert filename in text
    assert snapshot(terms_dir) == before


def test_apis_take_no_tbx(apps: dict[bool, Flask], terms_dir: Path) -> None:
    """Neither the DeepL nor the own API accepts TBX: handing them one is a clean refusal."""
    client = apps[False].test_client()
    before = snapshot(terms_dir)
    deepl = client.post(
        "/v2/glossaries",
        headers={"Authorization": "DeepL-Auth-Key any"},
        json={
            "name": "x",
            "source_lang": "de",
            "target_lang": "en",
            "entries": XXE_TBX.decode(),
            "entries_format": "tbx",
        },
    )
    assert deepl.status_code == 400 and "entries_format" in deepl.get_json()["message"]
    as_tsv = client.post(
        "/v2/glossaries",
        headers={"Authorization": "DeepL-Auth-Key any"},
        json={"name": "x", "source_lang": "de", "target_lang": "en", "entries": XXE_TBX.decode()},
    )
    assert as_tsv.status_code == 400 and as_tsv.get_json()["message"].startswith("Invalid")
    own = client.post("/api/glossaries", data=XXE_TBX, content_type="application/x-tbx+xml")
    assert own.status_code == 415 and "JSON" in own.get_json()["error"]
    terms = client.post(
        "/api/glossaries/p/terms",
        data=XXE_TBX,
        content_type="application/xml",
        headers={"If-Match": "x"},
    )
    assert terms.status_code == 415
    assert snapshot(terms_dir) == before
