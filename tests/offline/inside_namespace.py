"""Run every surface of vozbd with no network but loopback and record each outbound attempt (a JSON report).

Started by ``tests/offline/test_offline.py`` as ``unshare -n python -m tests.offline.inside_namespace OUT``: in a
fresh network namespace only ``lo`` exists (brought up here). Each vozbd process runs under
``strace -f -e trace=connect``; Chromium (Playwright) reports every request it makes. The report lists what
went to a non-loopback address (a DNS lookup counts, wherever the resolver is) and what each surface answered.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[2]
VOZBD = str(Path(sys.executable).with_name("vozbd"))
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
CONNECT = re.compile(r"connect\(\d+, \{sa_family=(?P<family>\w+)(?P<rest>.*?)\}, \d+")
INET = re.compile(r'sin_port=htons\((?P<port>\d+)\), sin_addr=inet_addr\("(?P<addr>[^"]+)"\)')
INET6 = re.compile(r'sin6_port=htons\((?P<port>\d+)\).*?inet_pton\(AF_INET6, "(?P<addr>[^"]+)"')
MIC = "#message-composer button:not([id])"


def outbound_connects(trace: str) -> list[str]:
    """``connect()`` calls of an strace log that leave the machine: AF_INET/AF_INET6 to anything but 127.0.0.0/8
    or ::1, and any DNS query (port 53), even to a loopback resolver. AF_UNIX, AF_NETLINK and AF_UNSPEC are
    local."""
    found = []
    for match in CONNECT.finditer(trace):
        family, rest = match.group("family"), match.group("rest")
        if family not in ("AF_INET", "AF_INET6"):
            continue
        address = (INET if family == "AF_INET" else INET6).search(rest)
        if address is None:
            found.append(match.group(0))
            continue
        host, port = address.group("addr"), int(address.group("port"))
        loopback = host.startswith("127.") or host in ("::1", "::ffff:127.0.0.1")
        if not loopback or port == 53:
            found.append(match.group(0))
    return found


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return False  # data:, blob:, chrome-extension: never leave the page
    host = (parts.hostname or "").lower()
    return host not in LOOPBACK_HOSTS and not host.startswith("127.")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def traced(trace: Path, *args: str) -> list[str]:
    return ["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(trace), "--", VOZBD, *args]


@contextmanager
def server(out: Path, name: str, args: list[str], env: dict[str, str], url: str) -> Iterator[Path]:
    """Start ``vozbd <args>`` under strace, wait until ``url`` answers, yield its trace file; stop the group."""
    trace, log = out / f"{name}.strace", out / f"{name}.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            traced(trace, *args), env=env, cwd=out, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(url, timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer on {url}:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield trace
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def chat(report: dict[str, Any], out: Path, env: dict[str, str], playwright: Any) -> None:
    """The chat page in Chromium: a typed ``/sql`` and a spoken question, both answered."""
    from tests.ui.conftest import DESKTOP, ask, launch, open_chat
    from tests.ui.test_browser import synthesize_question_wav

    wav = out / "pergunta.wav"
    seconds = synthesize_question_wav(wav, "Qual é o ticket médio dos pedidos?", Path(env["VOZBD_MODELS_DIR"]))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with server(out, "ui", ["ui", "--port", str(port), "--no-browser"], env, url) as trace:
        fake_mic = [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}",
        ]
        context = launch(playwright, out / "profile-ui", DESKTOP, fake_mic)
        context.on("request", lambda request: report["browser_requests"].append(request.url))
        try:
            page = context.new_page()
            open_chat(page, url)
            ask(page, "/sql SELECT COUNT(*) AS total_de_clientes FROM clientes")
            page.get_by_text("total_de_clientes").first.wait_for(timeout=60_000)
            report["answered"]["typed_sql"] = True
            log = out / "ui.log"
            deadline = time.monotonic() + 120
            while "warm-up done" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.5)
            mic = page.locator(MIC).first
            mic.click()
            page.wait_for_timeout(int((seconds + 1.2) * 1000))
            mic.click()
            page.get_by_text("O ticket médio é de").wait_for(timeout=120_000)
            report["answered"]["spoken_question"] = True
            page.screenshot(path=str(out / "offline-chat.png"))
        finally:
            context.close()
    report["connects"]["ui"] = outbound_connects(trace.read_text())


def docs(report: dict[str, Any], out: Path, env: dict[str, str], playwright: Any) -> None:
    """``vozbd serve``: ``/docs`` renders Swagger UI from the package's own files."""
    from tests.ui.conftest import DESKTOP, launch

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with server(out, "serve", ["serve", "--port", str(port)], env, url + "/docs") as trace:
        context = launch(playwright, out / "profile-docs", DESKTOP)
        context.on("request", lambda request: report["browser_requests"].append(request.url))
        try:
            page = context.new_page()
            page.goto(url + "/docs")
            page.locator(".swagger-ui .info .title").wait_for(timeout=60_000)
            page.locator(".opblock").first.wait_for(timeout=30_000)
            report["answered"]["docs"] = True
        finally:
            context.close()
    report["connects"]["serve"] = outbound_connects(trace.read_text())


async def mcp_session(report: dict[str, Any], out: Path, env: dict[str, str]) -> None:
    """``vozbd mcp`` (stdio) serves a session: list the tools and run a query."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    trace = out / "mcp.strace"
    command = traced(trace, "mcp")
    params = StdioServerParameters(command=command[0], args=command[1:], env=env, cwd=str(out))
    with (out / "mcp.log").open("w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            tools = await session.list_tools()
            result = await session.call_tool("run_query", {"sql": "SELECT COUNT(*) AS n FROM clientes"})
    text = " ".join(getattr(c, "text", "") for c in result.content)
    report["answered"]["mcp"] = bool(tools.tools) and not result.isError and "n" in text
    report["connects"]["mcp"] = outbound_connects(trace.read_text())


def evals(report: dict[str, Any], out: Path, env: dict[str, str]) -> None:
    """``vozbd eval run`` with the scripted oracle model on the bundled suite (first questions)."""
    suite = ROOT / "evals" / "suites" / "demo.yaml"
    oracle = out / "oracle.yaml"
    subprocess.run([VOZBD, "eval", "script", str(suite), "--out", str(oracle)], env=env, check=True, cwd=out)
    trace = out / "eval.strace"
    run = subprocess.run(
        traced(
            trace,
            "eval",
            "run",
            str(suite),
            "--model",
            f"scripted/{oracle}",
            "--limit",
            "4",
            "--out",
            str(out / "eval-run"),
        ),
        env=env,
        cwd=out,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (out / "eval.log").write_text(run.stdout + run.stderr, encoding="utf-8")
    report["answered"]["eval"] = run.returncode == 0 and (out / "eval-run").is_dir()
    report["connects"]["eval"] = outbound_connects(trace.read_text())


def models_list(report: dict[str, Any], out: Path, env: dict[str, str]) -> None:
    """``vozbd models list`` probes the local model servers (loopback) even with a hosted key set, which it never
    contacts: the canary that proves strace sees connections here (at least one loopback ``connect()``)."""
    trace = out / "models.strace"
    keyed = env | {"OPENAI_API_KEY": "sk-not-used", "VOZBD_MODEL": ""}
    run = subprocess.run(traced(trace, "models", "list", "--json"), env=keyed, cwd=out, capture_output=True, text=True)
    text = trace.read_text()
    report["answered"]["models_list"] = run.returncode == 0
    report["loopback_connects_seen"] = len(re.findall(r'inet_addr\("127\.0\.0\.1"\)', text))
    report["connects"]["models"] = outbound_connects(text)


def main(out: Path) -> int:
    from playwright.sync_api import sync_playwright

    from tests.ui.conftest import SCRIPT, real_models_dir

    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    script = out / "script.yaml"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOZBD_", "CHAINLIT_"))}
    env |= {
        "VOZBD_DATA_DIR": str(out / "data"),
        "VOZBD_MODELS_DIR": str(real_models_dir()),
        "VOZBD_MODEL": f"scripted/{script}",
        "VOZBD_LOG_LEVEL": "INFO",
        "VOZBD_UI_HANDS_FREE": "false",
    }
    report: dict[str, Any] = {"browser_requests": [], "connects": {}, "answered": {}, "errors": []}
    with sync_playwright() as playwright:
        for name, step in (("chat", chat), ("docs", docs)):
            try:
                step(report, out, env, playwright)
            except Exception as error:  # report every step, then let the test say which failed
                report["errors"].append(f"{name}: {type(error).__name__}: {error}")
    try:
        asyncio.run(mcp_session(report, out, env))
    except Exception as error:
        report["errors"].append(f"mcp: {type(error).__name__}: {error}")
    for name, step in (("eval", evals), ("models", models_list)):
        try:
            step(report, out, env)
        except Exception as error:
            report["errors"].append(f"{name}: {type(error).__name__}: {error}")
    report["browser_external"] = [url for url in report["browser_requests"] if is_external(url)]
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
