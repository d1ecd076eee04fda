"""The `[mcp]` extra is a light install: no speech, agent or UI stack in its dependency tree, and the server
runs with those packages made unimportable."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

HEAVY = {
    "faster-whisper", "ctranslate2", "onnxruntime", "kokoro-onnx", "espeakng-loader", "soundfile", "av", "numpy",
    "torch", "coqui-tts", "chainlit", "matplotlib", "langgraph", "langchain-core", "langchain-openai", "fastapi",
}  # fmt: skip
BLOCKED_MODULES = [
    "faster_whisper", "ctranslate2", "onnxruntime", "kokoro_onnx", "soundfile", "av", "numpy", "torch",
    "chainlit", "matplotlib", "langgraph", "langchain_core", "fastapi",
]  # fmt: skip


def requirement_closure(name: str, extras: tuple[str, ...] = ()) -> set[str]:
    """Distribution names reachable from ``name[extras]`` through installed metadata (markers evaluated)."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    stack = [(name, extras)]
    while stack:
        current, wanted = stack.pop()
        key = (canonicalize_name(current), wanted)
        if key in seen:
            continue
        seen.add(key)
        try:
            requires = distribution(current).requires or []
        except PackageNotFoundError:
            continue
        environments = [{"extra": extra} for extra in wanted] or [{"extra": ""}]
        for line in requires:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is None or any(marker.evaluate(env) for env in environments):
                stack.append((requirement.name, tuple(sorted(requirement.extras))))
    return {name for name, _ in seen}


def test_mcp_extra_pulls_no_speech_agent_or_ui_package() -> None:
    closure = requirement_closure("vozbd", ("mcp",))
    assert "mcp" in closure and "sqlglot" in closure
    assert not closure & HEAVY, sorted(closure & HEAVY)
    assert closure & HEAVY == set()
    assert requirement_closure("vozbd", ("ui",)) & {"chainlit", "faster-whisper"}  # the check can fail


def test_server_runs_with_the_heavy_packages_blocked(tmp_path) -> None:
    script = (
        "import sys\n"
        f"for name in {BLOCKED_MODULES!r}: sys.modules[name] = None\n"
        "from vozbd.cli.app import run\n"
        "sys.argv = ['vozbd', 'mcp']\n"
        "run()\n"
    )
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "run_query", "arguments": {"sql": "SELECT COUNT(*) AS n FROM clientes"}}},
    ]  # fmt: skip
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "VOZBD_DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
    process.stdin.flush()
    replies: dict[int, dict] = {}
    try:
        while 2 not in replies:  # readline blocks until the server answers (or exits: then "")
            line = process.stdout.readline()
            if not line:
                break
            reply = json.loads(line)
            if "id" in reply:
                replies[reply["id"]] = reply
    finally:
        process.stdin.close()
        stderr = process.stderr.read() if process.stderr else ""
        process.wait(timeout=30)
    rows = replies.get(2, {}).get("result", {}).get("structuredContent", {}).get("rows")
    assert rows == [[600]], stderr
