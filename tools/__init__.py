"""Tools: schema-inspect, safe-query, pdf-read and the DB layer. No LLM code lives here.

``tools.registry.all_tools()`` is the one registry every surface adapts.
"""
