"""Every enum the OpenAPI document gives is the list the code checks against (enforce.MODES,
term.MATCH_MODES and STATUSES, jobs.STATES, imports.FORMATS and POLICIES), not a copy."""

from __future__ import annotations

from typing import Any

from flask import Flask

from glossary import imports
from glossary.enforce import MODES
from glossary.jobs import STATES
from glossary.term import MATCH_MODES, STATUSES


def _json_body(spec: dict[str, Any], path: str) -> dict[str, Any]:
    body = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    return dict(body["schema"]["properties"])


def test_openapi_enums_are_the_code_s_lists(app: Flask) -> None:
    spec = app.test_client().get("/openapi.json").get_json()
    assert _json_body(spec, "/api/translate")["mode"]["enum"] == list(MODES)
    imported = _json_body(spec, "/api/glossaries/{name}/import")
    assert imported["format"]["enum"] == list(imports.FORMATS)
    assert imported["on_duplicate"]["enum"] == list(imports.POLICIES)
    job = spec["paths"]["/api/jobs/{job_id}"]["get"]["responses"]["200"]["content"]
    assert job["application/json"]["schema"]["properties"]["state"]["enum"] == list(STATES)
    term = _json_body(spec, "/api/glossaries/{name}/terms")
    assert term["match"]["enum"] == list(MATCH_MODES)
    assert term["status"]["enum"] == list(STATUSES)


def test_the_lists_are_the_types_values() -> None:
    assert MODES == ("constrain", "replace", "off")
    assert MATCH_MODES == ("inflected", "exact")
    assert STATUSES == ("approved", "proposed", "deprecated")
    assert STATES == ("queued", "running", "done", "failed", "cancelled")
