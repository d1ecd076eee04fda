"""The list_connections tool: demo first, saved connections, allowed filter, no passwords."""

from __future__ import annotations

from tools.connections import ConnectionList, ListConnectionsInput, list_connections
from tools.context import ToolContext
from tools.registry import ToolSpec

PASSWORD = "SenhaQueNaoPodeVazar"


def test_demo_first_then_saved(tool_ctx: ToolContext) -> None:
    tool_ctx.registry.add("vendas", f"postgresql://app:{PASSWORD}@db.example.com/vendas")
    tool_ctx.registry.add("estoque", "mysql://root@127.0.0.1/estoque")
    result = list_connections(ListConnectionsInput(), tool_ctx)
    assert [c.name for c in result.connections] == ["demo", "estoque", "vendas"]
    assert result.connections[0].is_demo and result.default == "demo"
    assert [c.dialect for c in result.connections] == ["sqlite", "mysql", "postgres"]
    dumped = result.model_dump_json() + result.to_text()
    assert PASSWORD not in dumped and "***" in dumped


def test_to_text_marks_default_and_demo(tool_ctx: ToolContext) -> None:
    tool_ctx.registry.add("vendas", "sqlite:////tmp/vendas.sqlite")
    tool_ctx.default_connection = "vendas"
    text = list_connections(ListConnectionsInput(), tool_ctx).to_text()
    lines = text.splitlines()
    assert lines[0] == "Conexões disponíveis:"
    assert lines[1].startswith("- demo (sqlite) [demonstração]")
    assert lines[2].startswith("- vendas (sqlite) [padrão]")


def test_allowed_connections_filter(tool_ctx: ToolContext) -> None:
    tool_ctx.registry.add("vendas", "sqlite:////tmp/vendas.sqlite")
    tool_ctx.registry.add("rh", "sqlite:////tmp/rh.sqlite")
    tool_ctx.allowed_connections = ("vendas",)
    assert [c.name for c in list_connections(ListConnectionsInput(), tool_ctx).connections] == ["vendas"]
    tool_ctx.allowed_connections = ("demo", "rh")
    assert [c.name for c in list_connections(ListConnectionsInput(), tool_ctx).connections] == ["demo", "rh"]
    tool_ctx.allowed_connections = ("*",)
    assert len(list_connections(ListConnectionsInput(), tool_ctx).connections) == 3
    tool_ctx.allowed_connections = ()
    result = list_connections(ListConnectionsInput(), tool_ctx)
    assert result.connections == [] and "Nenhuma" in result.to_text()


def test_default_url_is_masked(tool_ctx: ToolContext) -> None:
    tool_ctx.default_connection = f"postgresql://app:{PASSWORD}@h/d"
    result = list_connections(ListConnectionsInput(), tool_ctx)
    assert PASSWORD not in result.default and "***" in result.default


def test_registered_as_a_tool(tool_ctx: ToolContext) -> None:
    spec = ToolSpec("list_connections", list_connections, ListConnectionsInput, ConnectionList)
    assert "connection" in spec.description and "demo" in spec.description
    assert isinstance(spec.run(tool_ctx), ConnectionList)
    assert ListConnectionsInput.model_json_schema()["properties"] == {}
