"""`glossary worker`: works jobs from the Redis queue named by GLOSSARY_QUEUE_URL, so that
jobs posted to any `glossary serve` sharing that queue are translated on this machine: text
jobs (RQ queue `glossary`) first, then documents (`glossary-documents`)."""

from __future__ import annotations

import argparse

from glossary.config import Settings


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    # redis and rq (and the document layer) are only imported here
    from glossary.documents.jobs_redis import QUEUE as DOCUMENTS
    from glossary.jobs_redis import QUEUE as TEXTS
    from glossary.jobs_redis import run_worker

    # A free worker takes a waiting text job (seconds) before a waiting document (minutes).
    return run_worker(settings, burst=args.burst, queues=(TEXTS, DOCUMENTS))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "worker",
        help="work translation and document jobs from the Redis queue at GLOSSARY_QUEUE_URL "
        "(scale-out: run N of them, on any machines sharing the terms folder)",
        description="Work translation jobs (POST /api/jobs) from the RQ queue 'glossary' and "
        "document jobs (/v2/document, /translate_file, the documents page) from the queue "
        "'glossary-documents', text jobs first, on the Redis server named by "
        "GLOSSARY_QUEUE_URL (e.g. redis://HOST:6379/0), one job at a time, with the model "
        "loaded once. Glossaries come from GLOSSARY_TERMS_DIR, which must be the folder the "
        "web server uses. SIGTERM or SIGINT stops it once the job in progress is done (at "
        "once when idle); a second one stops that job too, which then fails with the reason.",
    )
    p.add_argument(
        "--burst",
        action="store_true",
        help="stop once the queue is empty instead of waiting for more jobs",
    )
    p.set_defaults(handler=cmd_worker)
