"""The chat a team uses every day (issue #18), in a real browser at desktop size and at 390×844.

Slash commands with one Enter (and a stale command chip never swallows the next message), each answer ending
in view, compact sortable tables with a CSV download equal to the query result, interactive charts, no
sideways overflow on the phone, everything in pt-BR, a welcome that works with and without a model, and
settings that follow the chosen engine and confirm the change.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.conftest import (
    DESKTOP,
    MIC,
    PHONE,
    ROOT,
    UiServer,
    ask,
    browser_page,
    fake_mic_flags,
    fits,
    open_chat,
    open_chat_settings,
    pick_setting,
    require_browser_and_models,
    shot,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.slow

DEMO_SCRIPT = ROOT / "tests" / "agent" / "scripts" / "demo.yaml"
DEMO_DB = ROOT / "tools" / "db" / "demo" / "demo.sqlite"
CLIENTS_BY_STATE = "SELECT uf, COUNT(*) AS clientes FROM clientes GROUP BY uf ORDER BY clientes DESC, uf"
TEN_COLUMNS = (
    "SELECT p.id, p.cliente_id, p.data_pedido, p.status, p.canal, p.valor_total, p.cidade_entrega, "
    "p.uf_entrega, c.nome, c.email FROM pedidos p JOIN clientes c ON c.id = p.cliente_id ORDER BY p.id LIMIT 40"
)
VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]

# Chainlit's hard-coded English labels (not in its translation file) that the page must not show.
HARD_CODED_ENGLISH = [
    "Listening",
    "Toggle theme",
    "Close",
    "Previous",
    "Next",
    "More pages",
    "No results.",
    "Loading...",
    "An error occurred",
    "Go to previous page",
    "Go to next page",
]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """`vozbd ui` with the scripted demo model the README's Quick start uses."""
    require_browser_and_models()
    server = start_server(tmp_path_factory.mktemp("ui-daily"), model=f"scripted/{DEMO_SCRIPT}")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """`vozbd ui` without any language model."""
    require_browser_and_models()
    server = start_server(tmp_path_factory.mktemp("ui-daily-bare"), model=None)
    yield server
    stop_server(server)


def chainlit_english_labels() -> list[str]:
    """Chainlit's default (en-US) labels that differ from our pt-BR translation, plus its hard-coded ones."""
    import chainlit

    def flat(tree: dict) -> Iterator[str]:
        for value in tree.values():
            yield from flat(value) if isinstance(value, dict) else [value]

    english = json.loads((Path(chainlit.__file__).parent / "translations" / "en-US.json").read_text("utf-8"))
    ours = json.loads((ROOT / "ui" / ".chainlit" / "translations" / "pt-BR.json").read_text("utf-8"))
    kept = set(flat(ours))
    labels = {label for label in flat(english) if len(label) >= 4 and "{{" not in label and label not in kept}
    return sorted(labels | set(HARD_CODED_ENGLISH))


def page_strings(page) -> list[str]:
    """Every text node (visible or screen-reader only) and every aria-label/title/placeholder of the page."""
    return page.evaluate(
        """() => {
            const out = [];
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) { const t = walker.currentNode.nodeValue.trim(); if (t) out.push(t); }
            for (const el of document.querySelectorAll('[aria-label], [title], [placeholder]'))
                for (const name of ['aria-label', 'title', 'placeholder']) {
                    const value = el.getAttribute(name);
                    if (value) out.push(value);
                }
            return out;
        }"""
    )


def overflowing(page) -> list[str]:
    """Elements of the chat past the right edge of the screen (a result table may scroll inside its own box)."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const bad = [];
            for (const el of document.querySelectorAll('.message-content *, #message-composer *')) {
                const box = el.getBoundingClientRect();
                if (box.width === 0 || box.right <= width + 1) continue;
                if (el.closest('.vozbd-result-scroll') && !el.classList.contains('vozbd-result-scroll')) continue;
                bad.push(el.tagName + ' ' + (el.textContent || '').slice(0, 40) + ' → ' + Math.round(box.right));
            }
            const page = document.documentElement.scrollWidth;
            if (page > width + 1) bad.push('page ' + page);
            return bad.slice(0, 10);
        }"""
    )


def wait_for_rows(page, caption: str, timeout: float = 90_000) -> None:
    page.locator(".vozbd-result-caption", has_text=caption).last.wait_for(timeout=timeout)


def visible_area_bottom(page) -> float:
    """The top of the message box: anything below it is hidden behind the composer."""
    box = page.locator("#message-composer").bounding_box()
    assert box is not None
    return box["y"]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_commands_run_with_one_enter_and_each_answer_ends_in_view(demo_server, playwright_instance, tmp_path, viewport):
    with browser_page(playwright_instance, tmp_path, viewport) as page:
        open_chat(page, demo_server.url)
        box = page.locator("#chat-input")
        phone = viewport == PHONE
        # Typed key by key, the command menu opens on "/esquema": one Enter runs it.
        box.click()
        box.press_sequentially("/esquema", delay=30)
        page.locator(".command-item").first.wait_for(timeout=10_000)
        page.keyboard.press("Enter")
        page.get_by_text("Esquema de demo").wait_for(timeout=60_000)
        assert box.input_value() == ""
        if phone:
            page.wait_for_timeout(500)
            assert overflowing(page) == [], "/esquema"
        # A chip picked in the menu must not swallow a command typed afterwards (the sequence).
        box.click()
        box.press_sequentially("/esq", delay=30)
        page.locator(".command-item", has_text="esquema").first.click()
        box.fill(f"/sql {CLIENTS_BY_STATE}")
        page.keyboard.press("Enter")
        wait_for_rows(page, "27 de 27 linhas")
        chart = page.locator(".js-plotly-plot").last
        chart.wait_for(timeout=30_000)
        assert page.get_by_text("Não encontrei").count() == 0
        # The answer ends in view: the chart, the last element, is inside the visible chat area.
        page.wait_for_timeout(1_500)
        chart_box = chart.bounding_box()
        assert chart_box is not None
        assert chart_box["y"] + chart_box["height"] <= visible_area_bottom(page) + 2, chart_box
        assert chart_box["y"] + chart_box["height"] > 0 and fits(chart_box, viewport["width"] + 1), chart_box
        labels = page.locator(".js-plotly-plot").last.locator(".ytick text").all_text_contents()
        assert len(labels) == 27 and "SP" in labels  # every state labelled
        shot(page, f"{'phone' if phone else 'desktop'}-daily-sql-chart")
        ask(page, "/ajuda")
        page.get_by_text("O que faz").wait_for(timeout=60_000)
        if phone:
            page.wait_for_timeout(500)
            assert overflowing(page) == [], "/ajuda"
        ask(page, f"/sql {TEN_COLUMNS}")
        wait_for_rows(page, "40 de 40 linhas")
        page.wait_for_timeout(800)
        table_box = page.locator(".vozbd-result").last.bounding_box()
        assert table_box is not None and table_box["y"] + table_box["height"] <= visible_area_bottom(page) + 2
        if phone:
            assert overflowing(page) == [], "10-column result"
            scroller = page.locator(".vozbd-result-scroll").last
            assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")  # the wide table scrolls sideways
        assert "Traceback" not in demo_server.log()


def test_table_sorts_and_the_csv_download_is_the_query_result(demo_server, desktop_page) -> None:
    page = desktop_page
    open_chat(page, demo_server.url)
    sql = "SELECT id, nome, cidade, uf, data_cadastro, segmento FROM clientes ORDER BY id"
    ask(page, f"/sql {sql}")
    wait_for_rows(page, "600 de 600 linhas")
    table = page.locator(".vozbd-result table").last
    row_height = table.locator("tbody tr").first.bounding_box()
    assert row_height is not None and row_height["height"] <= 32  # compact rows (was ~53 px)
    assert table.locator("tbody tr").first.locator("td").first.inner_text() == "1"
    sort_by_id = table.locator("thead th").first.locator("button")
    sort_by_id.click()  # ascending (as the query returned it)
    sort_by_id.click()  # descending
    assert table.locator("tbody tr").first.locator("td").first.inner_text() == "600"
    link = page.locator("a[download$='.csv']").last
    with page.expect_download() as download_info:
        link.click()
    downloaded = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(downloaded, newline="")))
    with sqlite3.connect(f"file:{DEMO_DB}?mode=ro", uri=True) as demo:
        cursor = demo.execute(sql)
        expected = [[d[0] for d in cursor.description]] + [["" if v is None else str(v) for v in r] for r in cursor]
    assert rows == expected
    shot(page, "desktop-daily-table-csv")


def test_the_demo_model_answers_its_own_suggestions(demo_server, desktop_page) -> None:
    page = desktop_page
    open_chat(page, demo_server.url)
    assert page.get_by_text("Experimente uma destas perguntas").is_visible()
    page.get_by_role("button", name="Quantos clientes temos em São Paulo?").click()
    page.get_by_text(re.compile(r"Temos 173 clientes")).wait_for(timeout=90_000)
    shot(page, "desktop-daily-welcome-model")


def test_settings_list_the_engines_voices_and_confirm(demo_server, desktop_page) -> None:
    page = desktop_page
    log_start = open_chat_settings(page, demo_server)
    page.locator("#voice").click()
    assert page.get_by_role("option", name="Dora (feminina)").count() == 1  # Kokoro's pt-BR voices
    page.keyboard.press("Escape")
    pick_setting(page, "tts_engine", "espeak")
    demo_server.wait_for_log("settings panel: TTS engine espeak selected", start=log_start)
    page.wait_for_timeout(500)
    page.locator("#voice").click()
    options = page.get_by_role("option").all_inner_texts()
    assert options and not any("Dora" in o or "Alex" in o for o in options), options
    page.keyboard.press("Escape")
    page.locator("#confirm").click()
    page.get_by_text(re.compile(r"Configurações salvas — motor de voz: espeak")).wait_for(timeout=20_000)
    shot(page, "desktop-daily-settings-confirmed")


def test_page_in_brazilian_portuguese_and_runnable_welcome_without_a_model(
    bare_server, playwright_instance, tmp_path
) -> None:
    with browser_page(playwright_instance, tmp_path, PHONE, fake_mic_flags()) as page:
        open_chat(page, bare_server.url)
        assert page.evaluate("document.documentElement.lang") == "pt-BR"
        english = chainlit_english_labels()
        assert len(english) > 50
        welcome_text = page.locator(".step").first.inner_text()
        # Without a model: the warning, then the suggestions, which run commands instead of repeating it.
        assert welcome_text.index("Nenhum modelo") < welcome_text.index("estes exemplos já funcionam")
        page.wait_for_timeout(500)
        assert overflowing(page) == [], "welcome with the model-setup code block"
        page.get_by_role("button", name="Clientes por estado (SQL)").click()
        wait_for_rows(page, "27 de 27 linhas")
        page.locator(".js-plotly-plot").last.wait_for(timeout=30_000)
        shot(page, "phone-daily-no-model")
        # The settings panel fits: every switch is on screen.
        page.locator("#chat-settings-open-modal").click()
        page.locator("#confirm").wait_for(timeout=10_000)
        for switch in page.locator("#chat-settings button[role='switch']").all():
            switch.scroll_into_view_if_needed()
            assert fits(switch.bounding_box(), PHONE["width"]), switch.bounding_box()
        found = sorted(set(page_strings(page)) & set(english))
        assert found == [], found
        page.keyboard.press("Escape")
        # Recording: the header status reads "Ouvindo".
        page.locator(MIC).first.click()
        page.locator("#header").get_by_text("Ouvindo").wait_for(timeout=20_000)
        found = sorted(set(page_strings(page)) & set(english))
        assert found == [], found
        shot(page, "phone-daily-recording")
