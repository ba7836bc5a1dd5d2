"""The tracking server's endpoints, one module per resource.

Each module exports ``routes(ctx) -> list[Route]`` and ``OPENAPI``, a dict of OpenAPI path items
describing those routes; :mod:`jupyter_mltrack.server.app` and :mod:`jupyter_mltrack.server.
openapi` collect them.
"""
