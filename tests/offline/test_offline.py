"""Offline, proven: every surface works in a network namespace with only loopback, and nothing tries to leave.

``tests/offline/inside_namespace.py`` runs under ``unshare -n`` (root): the chat page in Chromium (a typed ``/sql``
and a spoken question answered), ``vozbd serve``'s ``/docs``, a ``vozbd mcp`` session and ``vozbd eval run`` with
the scripted model. Chromium's requests are counted by Playwright, every vozbd process's ``connect()`` calls by
``strace -f``; the test asserts zero outside loopback (a DNS query counts, wherever the resolver is).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.offline.inside_namespace import is_external, outbound_connects

ROOT = Path(__file__).resolve().parents[2]
SURFACES = ("typed_sql", "spoken_question", "docs", "mcp", "eval", "models_list")
TRACED = ("ui", "serve", "mcp", "eval", "models")


def require_namespace_tools() -> None:
    from tests.conftest import unavailable
    from tests.ui.conftest import require_browser_and_models

    require_browser_and_models()
    for tool in ("unshare", "strace", "ip"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} not installed (apt-get install util-linux strace iproute2)")
    if os.geteuid() != 0 or subprocess.run(["unshare", "-n", "true"], check=False).returncode != 0:
        unavailable("unshare -n needs root (a new network namespace)")


@pytest.mark.slow
def test_every_surface_works_with_only_loopback_and_nothing_leaves(tmp_path: Path) -> None:
    require_namespace_tools()
    run = subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "tests.offline.inside_namespace", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["errors"] == [], report["errors"]
    assert {name: report["answered"].get(name) for name in SURFACES} == dict.fromkeys(SURFACES, True)
    assert report["browser_requests"], "Playwright saw no request at all: the counter is broken"
    assert report["browser_external"] == [], report["browser_external"]
    assert report["connects"] == {name: [] for name in TRACED}, report["connects"]
    assert all((tmp_path / f"{name}.strace").is_file() for name in TRACED)
    assert report["loopback_connects_seen"] > 0, "strace saw no connect() at all: the tracer is broken"


def test_outbound_connect_parser_counts_what_leaves_and_dns() -> None:
    trace = "\n".join(
        [
            '12 connect(3, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT',
            '12 connect(4, {sa_family=AF_INET, sin_port=htons(8000), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
            "12 connect(4, {sa_family=AF_INET6, sin6_port=htons(11434), sin6_flowinfo=htonl(0), "
            'inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
            '12 connect(5, {sa_family=AF_UNSPEC, sa_data=""}, 16) = 0',
            '13 connect(6, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16 '
            "<unfinished ...>",
            '14 connect(7, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.53")}, 16) = 0',
            '15 connect(8, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("104.18.0.1")}, 16) = -1',
            "16 connect(9, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), "
            'inet_pton(AF_INET6, "2606:4700::1", &sin6_addr), sin6_scope_id=0}, 28) = -1',
        ]
    )
    found = outbound_connects(trace)
    assert len(found) == 4
    assert [("10.255.255.53" in f, "127.0.0.53" in f, "104.18.0.1" in f, "2606" in f) for f in found] == [
        (True, False, False, False),
        (False, True, False, False),
        (False, False, True, False),
        (False, False, False, True),
    ]


def test_browser_request_classification() -> None:
    assert not is_external("http://127.0.0.1:8000/public/fonts/inter.css")
    assert not is_external("ws://localhost:8000/ws/socket.io/")
    assert not is_external("data:image/png;base64,xx")
    assert is_external("https://fonts.googleapis.com/css2?family=Inter")
    assert is_external("http://192.168.0.5/")
