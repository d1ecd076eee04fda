"""HTTP API v1 of ``vozbd serve``: routers by concept, one error shape, auth guard, limits, metrics."""
