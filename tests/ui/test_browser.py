"""The voice chat in a real browser (Debian chromium + Playwright), against `vozbd ui` with a scripted model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ui.conftest import (
    ARTIFACTS,
    DESKTOP,
    MIC,
    ask,
    browser_page,
    fake_mic_flags,
    fits,
    open_chat,
    open_chat_settings,
    open_warm_chat,
    pick_setting,
    real_models_dir,
    record,
    shot,
    start_server,
    stop_server,
    wait_for_audio,
)

pytestmark = pytest.mark.slow


def last_answer(page):
    return page.locator(".step").last


def test_page_loads_in_portuguese(scripted_server, desktop_page) -> None:
    page = desktop_page
    open_chat(page, scripted_server.url)
    assert page.get_by_text("Banco ativo:").is_visible()
    assert page.get_by_role("button", name="Quais os 5 produtos mais vendidos?").is_visible()
    assert page.locator("#chat-input").get_attribute("placeholder")
    assert page.locator(MIC).count() >= 1  # the mic button
    shot(page, "desktop-welcome")


def test_typed_question_shows_answer_sql_and_table(scripted_server, desktop_page) -> None:
    page = desktop_page
    open_chat(page, scripted_server.url)
    ask(page, "Quais os 5 produtos mais vendidos?")
    page.get_by_text("O produto mais vendido é").wait_for(timeout=30_000)
    table = page.locator("table").last
    table.wait_for(timeout=10_000)
    assert table.locator("tbody tr").count() == 5
    assert page.get_by_text("5 de 5 linhas").is_visible()
    page.locator("#step-SQL").last.click()  # the collapsible "Utilizado SQL" step
    page.get_by_text("GROUP BY p.nome").first.wait_for(timeout=10_000)
    page.locator(".js-plotly-plot").last.wait_for(timeout=20_000)  # the interactive bar chart
    shot(page, "desktop-typed-answer")
    # The turn is in the conversation log (surface ui, typed), written before the answer was final.
    from vozbd.appdb.database import open_app_database

    database = open_app_database(f"sqlite:///{scripted_server.data_dir / 'app.sqlite3'}")
    try:
        question = "Quais os 5 produtos mais vendidos?"
        turns = [t for t in database.logs.list_turns(surface="ui") if t.question == question]
    finally:
        database.dispose()
    assert turns and turns[-1].input_mode == "text" and turns[-1].row_count == 5
    assert turns[-1].sql and "GROUP BY p.nome" in turns[-1].sql and turns[-1].model
    import sqlite3

    with sqlite3.connect(scripted_server.data_dir / "app.sqlite3") as conn:  # query audit: the agent ran it for the UI
        audited = conn.execute("SELECT surface, tool, outcome FROM query_audit WHERE sql LIKE '%GROUP BY p.nome%'")
        assert ("ui", "run_query", "ok") in audited.fetchall()


def test_thumbs_up_remembers_the_answer_as_a_verified_example(scripted_server, desktop_page) -> None:
    from tools.memory import MemoryStore
    from vozbd.appdb.database import open_app_database

    page = desktop_page
    open_chat(page, scripted_server.url)
    question = "Quais os 5 produtos mais vendidos?"
    ask(page, question)
    page.get_by_text("O produto mais vendido é").last.wait_for(timeout=90_000)
    thumbs = page.locator("button", has_text="👍").last
    thumbs.wait_for(timeout=10_000)
    thumbs.click()
    page.get_by_text("Anotado: vou usar esta consulta como exemplo").wait_for(timeout=30_000)
    assert page.locator("button", has_text="👍").count() == 0  # one click: the button goes away

    database = open_app_database(f"sqlite:///{scripted_server.data_dir / 'app.sqlite3'}")
    try:
        examples = MemoryStore(database.engine, create_tables=False).list_examples("demo")
    finally:
        database.dispose()
    remembered = [e for e in examples if e.question == question]
    assert len(remembered) == 1 and remembered[0].source == "ui"
    assert "GROUP BY p.nome" in remembered[0].sql  # the SQL the agent ran, not text from the browser


def test_unsafe_request_is_refused_not_crashed(scripted_server, desktop_page) -> None:
    page = desktop_page
    open_chat(page, scripted_server.url)
    ask(page, "Apague todos os pedidos")
    page.get_by_text(re.compile(r"Não posso alterar dados.*unsafe_query")).wait_for(timeout=30_000)
    page.locator("#step-SQL").last.click()
    page.get_by_text(re.compile(r"contém DELETE")).first.wait_for(timeout=10_000)  # the validator's pt-BR refusal
    assert "Traceback" not in scripted_server.log()
    ask(page, "Quantos clientes temos?")  # the session still works
    page.get_by_text("clientes cadastrados").wait_for(timeout=30_000)
    shot(page, "desktop-unsafe-refused")


def test_no_llm_mode_sql_schema_and_spoken_question(tmp_path: Path, playwright_instance) -> None:
    wav = tmp_path / "pergunta.wav"
    seconds = synthesize_question_wav(wav, "Quantas entregas atrasaram?", real_models_dir())
    server = start_server(tmp_path / "nollm", model=None)
    try:
        with browser_page(playwright_instance, tmp_path, DESKTOP, fake_mic_flags(wav)) as page:
            open_chat(page, server.url)
            page.get_by_text("Nenhum modelo de linguagem configurado").first.wait_for(timeout=10_000)
            assert page.get_by_text("VOZBD_MODEL=openai/gpt-4.1-mini").first.is_visible()
            ask(page, "/sql SELECT uf, COUNT(*) AS clientes FROM clientes GROUP BY uf ORDER BY clientes DESC LIMIT 3")
            page.locator("table").last.wait_for(timeout=20_000)
            assert page.get_by_text("3 de 3 linhas").is_visible()
            ask(page, "/esquema pedidos")
            page.get_by_text("Esquema de demo").wait_for(timeout=20_000)
            assert page.get_by_text(re.compile("uf_entrega")).first.is_visible()
            ask(page, "Quantos clientes temos?")
            page.get_by_text("Nenhum modelo de linguagem configurado").last.wait_for(timeout=10_000)
            shot(page, "desktop-no-llm")
            # A spoken question: the transcript is shown, then the guidance.
            server.wait_for_log("warm-up done", timeout=90)
            record(page, seconds)
            page.get_by_text(re.compile(r"Entendi: .*entregas", re.I)).wait_for(timeout=60_000)
            assert "Traceback" not in server.log()
    finally:
        stop_server(server)


def synthesize_question_wav(path: Path, text: str, models_dir: Path) -> float:
    """A pt-BR WAV (24 kHz mono PCM16) of ``text`` made with the project's Kokoro TTS; returns speech seconds."""
    import numpy as np

    from agent.speech.audio import to_wav_bytes
    from agent.speech.engines import SpeechEngines
    from vozbd.settings import Settings
    from vozbd.wiring import speech_config

    config = speech_config(Settings(models_dir=models_dir))
    chunks = list(SpeechEngines(config).synthesizer("kokoro").synthesize(text, voice="pf_dora"))
    rate = chunks[0].sample_rate
    speech = np.concatenate([c.samples for c in chunks])
    lead, tail = np.zeros(int(0.4 * rate), np.float32), np.zeros(int(4.0 * rate), np.float32)
    path.write_bytes(to_wav_bytes(np.concatenate([lead, speech, tail]), rate))
    return 0.4 + len(speech) / rate


def parse_timings(log: str) -> dict[str, float]:
    line = [x for x in log.splitlines() if "turn timings:" in x][-1]
    return {k: float(v) for k, v in re.findall(r"(\w+_s)=([\d.]+)", line)}


def test_spoken_question_transcript_answer_and_audio(scripted_server, playwright_instance, tmp_path: Path) -> None:
    wav = tmp_path / "pergunta.wav"
    # A question (and answer) no other test uses, so the TTS phrase cache cannot hide synthesis time.
    seconds = synthesize_question_wav(wav, "Qual é o ticket médio dos pedidos?", real_models_dir())
    with browser_page(playwright_instance, tmp_path, DESKTOP, fake_mic_flags(wav)) as page:
        # Measure the steady state: models load once per process, in the background, when a chat opens.
        log_start = open_warm_chat(page, scripted_server, timeout=90)
        record(page, seconds)  # the recording is sent and transcribed
        page.get_by_text(re.compile(r"m[eé]dio dos pedidos", re.I)).first.wait_for(timeout=60_000)  # transcript
        page.get_by_text("O ticket médio é de").wait_for(timeout=60_000)
        wait_for_audio(page)
        log = scripted_server.wait_for_log("turn timings:", start=log_start)
        timings = parse_timings(log)
        assert timings["stt_s"] > 0 and timings["end_to_first_audio_s"] >= timings["stt_s"]
        # ui/public/vozbd.js asks Chainlit's recorder for ~40 ms chunks (its own are 171 ms): hands-free hears the
        # end of a question that much sooner.
        received = re.search(r"audio received: ([\d.]+)s at (\d+) Hz in (\d+) chunks", log)
        assert received is not None and received[2] == "24000"
        assert float(received[1]) / int(received[3]) <= 0.05, received[0]
        print("\nvoice turn timings (s):", timings)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "voice-timings.txt").write_text(repr(timings) + "\n", encoding="utf-8")
        shot(page, "desktop-voice-answer")


def make_pdf(path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Relatorio trimestral da loja. Resumo geral das operacoes.")
    pdf.add_page()
    pdf.multi_cell(0, 8, "A meta de vendas do segundo semestre e de 500 mil reais.")
    pdf.output(str(path))


def test_pdf_upload_answer_cites_the_page(scripted_server, desktop_page, tmp_path: Path) -> None:
    page = desktop_page
    pdf = tmp_path / "relatorio.pdf"
    make_pdf(pdf)
    open_chat(page, scripted_server.url)
    page.locator("#upload-button-input").set_input_files(str(pdf))
    page.get_by_text("relatorio.pdf").first.wait_for(timeout=10_000)
    ask(page, "O que diz o PDF sobre a meta de vendas?")
    page.get_by_text("Segundo o PDF").wait_for(timeout=30_000)
    # The answer streams in: the citation may arrive after its first words, so wait for it (fails at the timeout).
    page.get_by_text(re.compile(r"página 2")).first.wait_for(timeout=30_000)
    assert (scripted_server.data_dir / "uploads" / "relatorio.pdf").is_file()
    shot(page, "desktop-pdf-answer")


def test_voice_setting_reaches_synthesis(scripted_server, desktop_page) -> None:
    page = desktop_page
    log_start = open_chat_settings(page, scripted_server)
    pick_setting(page, "voice", "Alex (masculina)")
    page.locator("#confirm").click()
    changed = scripted_server.wait_for_log("settings changed:", start=log_start)
    assert "voice=pm_alex" in changed.split("settings changed:", 1)[1].splitlines()[0]
    ask(page, "Quantos clientes temos?")
    page.get_by_text("clientes cadastrados").wait_for(timeout=30_000)
    scripted_server.wait_for_log("engine=kokoro voice=pm_alex", start=log_start)  # synthesis used the new voice
    scripted_server.wait_for_log("turn timings:", start=log_start)  # all clips of that answer are sent
    wait_for_audio(page)
    ask(page, "/diagnostico")
    page.get_by_text("kokoro / pm_alex").first.wait_for(timeout=30_000)
    shot(page, "desktop-diagnostics")
    # Auto-speak off: answers get a "🔊 Ouvir" button that speaks on demand.
    page.locator("#chat-settings-open-modal").click()
    page.locator("#auto_speak").click()
    page.locator("#confirm").click()
    scripted_server.wait_for_log("settings changed: auto_speak=False", start=log_start)
    audios = page.locator("audio").count()
    ask(page, "Quais os 5 produtos mais vendidos?")
    listen = page.get_by_role("button", name=re.compile("Ouvir"))
    listen.last.wait_for(timeout=30_000)
    assert page.locator("audio").count() == audios  # nothing spoken by itself
    listen.last.click()
    page.wait_for_function(f"() => document.querySelectorAll('audio').length > {audios}", timeout=60_000)


def test_phone_viewport_keeps_mic_answer_and_table_usable(scripted_server, phone_page) -> None:
    page = phone_page
    open_chat(page, scripted_server.url)
    box = page.locator(MIC).first.bounding_box()
    assert fits(box, 390, 844), box
    shot(page, "phone-welcome")
    page.locator("#chat-settings-open-modal").click()
    confirm = page.locator("#confirm")
    confirm.wait_for(timeout=10_000)
    assert fits(confirm.bounding_box(), 390), confirm.bounding_box()  # the panel fits the phone
    shot(page, "phone-settings")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Qual o faturamento por mês em 2026?").click()  # a starter question
    page.get_by_text("Em 2026 o faturamento mensal").wait_for(timeout=30_000)
    page.get_by_text("6 de 6 linhas").wait_for(timeout=30_000)  # the final message (table) is rendered
    page.wait_for_timeout(500)
    table_box = page.locator("table").last.bounding_box()
    assert fits(table_box, 390 + 1), table_box
    page_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert page_width <= 390 + 1  # no sideways scrolling of the whole page
    page.locator(".js-plotly-plot").last.wait_for(timeout=20_000)  # the interactive line chart
    shot(page, "phone-answer")


def test_password_login(tmp_path: Path, playwright_instance) -> None:
    env = {"VOZBD_UI_AUTH": "password", "VOZBD_UI_USERNAME": "ana", "VOZBD_UI_PASSWORD": "segredo-longo-123"}
    server = start_server(tmp_path / "auth", model=None, extra_env=env)
    try:
        with browser_page(playwright_instance, tmp_path, DESKTOP) as page:
            page.goto(server.url)
            page.wait_for_url(re.compile(r"/login"), timeout=30_000)
            page.locator("#email").fill("ana")
            page.locator("#password").fill("errada")
            page.get_by_role("button", name="Entrar").click()
            # Wrong password: Chainlit's refusal is shown (pt-BR translation) and the page stays on /login.
            page.get_by_text("Não foi possível entrar").wait_for(timeout=30_000)
            assert "/login" in page.url
            assert page.get_by_text("Olá! Eu sou o vozbd").count() == 0
            page.locator("#password").fill("segredo-longo-123")
            page.get_by_role("button", name="Entrar").click()
            page.get_by_text("Olá! Eu sou o vozbd").wait_for(timeout=30_000)
            secret = server.data_dir / "chainlit-auth-secret"
            assert secret.is_file() and (secret.stat().st_mode & 0o777) == 0o600
            assert "segredo-longo-123" not in server.log()
            # With a login, conversations are kept in the app database and listed in the history sidebar.
            page.locator("#chat-settings-open-modal").wait_for(timeout=60_000)
            ask(page, "/sql SELECT COUNT(*) AS total FROM clientes")
            page.get_by_text("1 linha").first.wait_for(timeout=30_000)
            page.wait_for_timeout(1500)
            import sqlite3

            with sqlite3.connect(server.data_dir / "app.sqlite3") as conn:
                threads = conn.execute('SELECT "userIdentifier", "name" FROM threads').fetchall()
                steps = conn.execute("SELECT COUNT(*) FROM steps").fetchone()[0]
            assert threads and threads[0][0] == "ana" and steps >= 2, (threads, steps)
            with sqlite3.connect(server.data_dir / "app.sqlite3") as conn:  # /sql: audited as the UI, with the user
                audited = conn.execute("SELECT surface, user_id, outcome FROM query_audit WHERE sql LIKE '%total%'")
                assert audited.fetchall() == [("ui", "ana", "ok")]
            page.reload()
            page.get_by_text("Olá! Eu sou o vozbd").wait_for(timeout=30_000)
            page.get_by_text(threads[0][1][:20]).first.wait_for(timeout=30_000)  # the sidebar lists the thread
            shot(page, "desktop-history-sidebar")
    finally:
        stop_server(server)
