"""The neutral base every vozbd package may import: it imports nothing from the project.

It holds only what two layers that must not know each other share: the coded error base
(``tools`` errors and ``agent`` LLM/speech errors), the bearer-token check (REST API and MCP over HTTP),
the version, and small formatting/statistics helpers used by several surfaces.
"""
