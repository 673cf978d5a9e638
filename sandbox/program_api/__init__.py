"""Local sandbox of the Prakerja Program API (contract: docs/program-api.openapi.yaml)."""

# Keep this file import-free: the engine's tests import sandbox.program_api.scenarios on
# Python 3.10 without FastAPI installed.
