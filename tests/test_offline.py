"""No network at import, start-up or translate time: with every socket operation that could
reach another host made to fail, the whole translate path (CLI and web app) still works."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from glossary.packages import InstalledPackage

BLOCK_AND_RUN = textwrap.dedent(
    """
    import socket, sys
    attempts = []
    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network blocked by test")
    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse

    from glossary.cli import main
    code = main(["translate", sys.argv[1], "--from", "de", "--to", "en"])
    from web import create_app
    client = create_app().test_client()
    page = client.get("/")
    assert page.status_code == 200, page.status_code
    assert b"de" in page.data and b"No translation model" not in page.data
    print("ATTEMPTS", len(attempts), file=sys.stderr)
    sys.exit(code if not attempts else 99)
    """
)


def test_translate_path_works_with_network_blocked(
    env: dict[str, str], installed: InstalledPackage, tmp_path: Path
) -> None:
    source = tmp_path / "in.txt"
    source.write_text("Der Kreml-Herrscher reist nach Pjöngjang.\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_AND_RUN, str(source)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ATTEMPTS 0" in done.stderr
    assert done.stdout.strip()
