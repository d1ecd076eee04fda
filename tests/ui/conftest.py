"""Browser-test harness: the real `vozbd ui` in a subprocess + Debian chromium driven by Playwright.

The app runs with a scripted fake model (``VOZBD_MODEL=scripted/<yaml>``) and a tmp data dir; the speech
models come from the machine's models dir (``vozbd models install``). Never runs ``playwright install``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "ui"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
MIC = "#message-composer button:not([id])"
"""The microphone: the only composer button without an id."""
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    "--lang=pt-BR",
]

# Rules are matched on the accent-folded, lower-cased question (agent/llm/scripted.py).
SCRIPT = """
rules:
  - match: "mais vendidos"
    responses:
      - tool_calls:
          - name: run_query
            args:
              sql: >-
                SELECT p.nome AS produto, SUM(i.quantidade) AS unidades FROM itens_pedido i
                JOIN produtos p ON p.id = i.produto_id GROUP BY p.nome ORDER BY unidades DESC LIMIT 5
      - content: "O produto mais vendido é {last_result_first_value}. Veja os cinco primeiros na tabela."
  - match: "faturamento por mes"
    responses:
      - tool_calls:
          - name: run_query
            args:
              sql: >-
                SELECT substr(data_pedido, 1, 7) AS mes, ROUND(SUM(valor_total), 2) AS faturamento
                FROM pedidos WHERE data_pedido >= '2026-01-01' GROUP BY mes ORDER BY mes
      - content: "Em 2026 o faturamento mensal variou bastante; veja a tabela e o gráfico."
  - match: "apag|exclu|delete"
    responses:
      - tool_calls:
          - name: run_query
            args: {sql: "DELETE FROM pedidos"}
      - content: "Não posso alterar dados: só faço consultas de leitura ({last_error_code})."
  - match: "pdf"
    responses:
      - tool_calls:
          - name: read_pdf
            args: {path: "relatorio.pdf", search: "meta de vendas"}
      - content: "Segundo o PDF: {last_tool_text}"
  - match: "medio"
    responses:
      - tool_calls:
          - name: run_query
            args: {sql: "SELECT ROUND(AVG(valor_total), 2) AS ticket_medio FROM pedidos"}
      - content: "O ticket médio é de {last_result_first_value} reais por pedido. O valor considera todos os pedidos."
  - match: "conte tudo"
    responses:
      - content: >-
          Claro. O banco de demonstração tem clientes, pedidos, produtos, entregas e chamados de suporte.
          Os pedidos ligam clientes a produtos, as entregas acompanham cada pedido até o destino,
          e os chamados registram as dúvidas e reclamações dos clientes. Posso contar pedidos por estado,
          somar o faturamento por mês, listar os produtos mais vendidos e encontrar as entregas atrasadas.
          Pergunte o que quiser, por exemplo quantos pedidos atrasados temos em São Paulo.
  - match: "clientes"
    responses:
      - tool_calls:
          - name: run_query
            args: {sql: "SELECT COUNT(*) AS total FROM clientes"}
      - content: "Temos {last_result_first_value} clientes cadastrados. É um bom número."
default:
  - content: "Desculpe, não sei responder isso."
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def real_models_dir() -> Path:
    """The machine's speech models (the tmp data dir of the app has none)."""
    if os.environ.get("VOZBD_MODELS_DIR"):
        return Path(os.environ["VOZBD_MODELS_DIR"]).expanduser()
    data = Path(os.environ.get("VOZBD_DATA_DIR", Path.home() / ".local" / "share" / "vozbd")).expanduser()
    return data / "models"


def speech_models_installed() -> bool:
    models = real_models_dir()
    return (models / "whisper-base" / "model.bin").is_file() and (models / "kokoro").is_dir()


@dataclass
class UiServer:
    url: str
    data_dir: Path
    log_file: Path
    process: subprocess.Popen

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, needle: str, timeout: float = 30.0, start: int = 0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log()[start:]
            if needle in text:
                return text
            time.sleep(0.2)
        raise AssertionError(f"{needle!r} not in app log:\n{self.log()[-3000:]}")


def start_server(tmp: Path, *, model: str | None, extra_env: dict[str, str] | None = None) -> UiServer:
    port = free_port()
    data_dir = tmp / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOZBD_", "CHAINLIT_"))}
    for key in ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENROUTER_API_KEY"):
        env.pop(key, None)
    env |= {
        "VOZBD_DATA_DIR": str(data_dir),
        "VOZBD_MODELS_DIR": str(real_models_dir()),
        "VOZBD_LOG_LEVEL": "INFO",
        # Nothing listens here: model auto-detection must not find a local server.
        "VOZBD_OLLAMA_BASE_URL": f"http://127.0.0.1:{free_port()}",
        "VOZBD_OPENAI_COMPATIBLE_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        # Push-to-talk unless a test asks for the hands-free conversation (tests/ui/test_browser_conversation.py).
        "VOZBD_UI_HANDS_FREE": "false",
    }
    if model:
        env["VOZBD_MODEL"] = model
    env |= extra_env or {}
    log_file = tmp / "app.log"
    handle = log_file.open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("vozbd")), "ui", "--port", str(port), "--no-browser"],
        cwd=tmp,  # not the repo: `vozbd ui` must work from any directory
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # a loaded 2-core machine can take over a minute to import and start
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"vozbd ui exited with {process.returncode}:\n{log_file.read_text()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return UiServer(url, data_dir, log_file, process)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise AssertionError(f"vozbd ui did not answer on {url}:\n{log_file.read_text()}")


def stop_server(server: UiServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


def require_browser_and_models() -> None:
    """Chromium and the speech models are part of CI: skip locally, fail under CI=true when missing."""
    from tests.conftest import unavailable

    if not Path(CHROMIUM).exists():
        unavailable("chromium not installed (apt-get install chromium)")
    if not speech_models_installed():
        unavailable("speech models not installed (vozbd models install)")


def start_scripted_server(tmp: Path, extra_env: dict[str, str] | None = None) -> UiServer:
    """`vozbd ui` with the scripted model of ``SCRIPT`` (written to ``tmp``)."""
    script = tmp / "script.yaml"
    script.write_text(SCRIPT, encoding="utf-8")
    return start_server(tmp, model=f"scripted/{script}", extra_env=extra_env)


@pytest.fixture(scope="module")
def scripted_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    require_browser_and_models()
    server = start_scripted_server(tmp_path_factory.mktemp("ui-scripted"))
    yield server
    stop_server(server)


@pytest.fixture(scope="module")  # module, not session: sync Playwright keeps an event loop running until closed
def playwright_instance():
    require_browser_and_models()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


def launch(playwright, user_data_dir: Path, viewport: dict, extra_args: list[str] | None = None):
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_FLAGS, *(extra_args or [])],
        viewport=viewport,
        locale="pt-BR",
    )


def fake_mic_flags(wav: Path | None = None, *, loop: bool = True) -> list[str]:
    """Chromium flags for a microphone the page may use without asking; with ``wav``, it records that file (over
    and over, or once when not ``loop``)."""
    flags = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    if wav is not None:
        flags.append(f"--use-file-for-fake-audio-capture={wav}{'' if loop else '%noloop'}")
    return flags


@contextlib.contextmanager
def browser_page(playwright, tmp_path: Path, viewport: dict, extra_args: list[str] | None = None, *,
                 init_script: str | None = None):  # fmt: skip
    """A page of a fresh Chromium profile under ``tmp_path``; the browser is closed afterwards."""
    context = launch(playwright, tmp_path / "profile", viewport, extra_args)
    try:
        if init_script is not None:
            context.add_init_script(init_script)
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def desktop_page(playwright_instance, tmp_path: Path):
    with browser_page(playwright_instance, tmp_path, DESKTOP) as page:
        yield page


@pytest.fixture
def phone_page(playwright_instance, tmp_path: Path):
    with browser_page(playwright_instance, tmp_path, PHONE) as page:
        yield page


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def open_chat(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#chat-input", timeout=30_000)
    page.get_by_text("Olá! Eu sou o vozbd").wait_for(timeout=30_000)
    page.locator("#chat-settings-open-modal").wait_for(timeout=60_000)  # settings sent: chat start is done


def ask(page, text: str) -> None:
    """Type ``text`` in the composer and press Enter once (a slash command runs with one Enter too)."""
    box = page.locator("#chat-input")
    box.click()
    box.fill(text)
    page.keyboard.press("Enter")


def open_warm_chat(page, server: UiServer, *, timeout: float) -> int:
    """Open the chat and wait until the server's speech models are warm (they load in the background when a chat
    opens); returns the length of the server log before, where this test's lines start."""
    log_start = len(server.log())
    open_chat(page, server.url)
    server.wait_for_log("warm-up done", timeout=timeout, start=log_start)
    return log_start


def record(page, seconds: float) -> None:
    """Push-to-talk: click the microphone, let the fake microphone play ``seconds`` of speech (and a margin),
    click again to send the recording."""
    mic = page.locator(MIC).first
    mic.click()
    page.wait_for_timeout(int((seconds + 1.2) * 1000))
    mic.click()


def wait_for_audio(page, timeout: float = 60_000) -> None:
    """Until an ``<audio>`` of the page has loaded a clip with a duration (an answer was spoken)."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('audio')].some(a => a.readyState >= 1 && a.duration > 0)",
        timeout=timeout,
    )


def open_chat_settings(page, server: UiServer) -> int:
    """Open the chat, then its settings panel; returns the length of the server log before the panel opened."""
    open_chat(page, server.url)
    log_start = len(server.log())
    page.locator("#chat-settings-open-modal").click()
    return log_start


def pick_setting(page, select: str, option: str) -> None:
    """In the open settings panel, choose ``option`` of the select whose id is ``select``."""
    page.locator(f"#{select}").click()
    page.get_by_role("option", name=option).click()


def fits(box: dict | None, width: int, height: int | None = None) -> bool:
    """Whether a bounding box is inside the screen's width (and height, when given)."""
    if box is None or box["x"] < 0 or box["x"] + box["width"] > width:
        return False
    return height is None or box["y"] + box["height"] <= height
