"""The jobs API: long translations with progress, partial results and cancel.

- `POST /api/jobs` with the body of /api/translate: 202, the job (`id`, `state`, ...) and its
  address in Location;
- `GET /api/jobs/<id>`: state, `done` out of `total` sentences, and the results so far
  (`text`, `sentences`, `terms`, `summary`, as /api/translate gives them once done);
- `DELETE /api/jobs/<id>`: cancels a running job (within one batch) and forgets it.

A job belongs to whoever made it (key, signed-in user, or anonymous); others get 404.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from glossary.jobs import Job
from glossary.owners import owner_id
from web.access import principal
from web.api import translation_request
from web.errors import ApiError, request_params
from web.services import service

bp = Blueprint("jobs", __name__, url_prefix="/api/jobs")


def owned(job_id: str) -> Job | None:
    """The job if the caller made it (or is an admin); None for one that never existed, was
    deleted, or is someone else's. The translate page's /jobs/<id> asks the same."""
    job = service().jobs.store.get(job_id)
    caller = principal()
    if job is None or (job.owner != owner_id(caller) and not caller.may("admin")):
        return None
    return job


def _mine(job_id: str) -> Job:
    job = owned(job_id)
    if job is None:
        raise ApiError("no such job", 404, "it never existed, was deleted, or is not yours")
    return job


@bp.post("")
def create() -> ResponseReturnValue:
    if not request.is_json:
        raise ApiError("send a JSON object with Content-Type: application/json", 415)
    asked = translation_request(request_params())
    if len(asked.text) > service().settings.max_chars:
        raise ApiError(
            f"text has {len(asked.text)} characters; the limit is {service().settings.max_chars}",
            413,
        )
    service().glossaries_for(asked.source, asked.target, asked.glossaries)  # 404 now, not later
    job = service().jobs.submit(owner_id(principal()), asked)
    return jsonify(job.to_dict(results=False)), 202, {"Location": f"/api/jobs/{job.id}"}


@bp.get("/<job_id>")
def get(job_id: str) -> ResponseReturnValue:
    return jsonify(_mine(job_id).to_dict())


@bp.delete("/<job_id>")
def delete(job_id: str) -> ResponseReturnValue:
    job = _mine(job_id)
    store = service().jobs.store
    store.request_cancel(job.id)
    store.delete(job.id)
    return "", 204
