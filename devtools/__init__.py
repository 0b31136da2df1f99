"""Development tools: a real Home Assistant process driven over its own APIs.

Used by ``scripts/develop`` (the demo) and by the end-to-end tests
(``tests/e2e``). Only the standard library and aiohttp: they run in either
environment (``.venv`` for the tests, ``.venv-ha`` for the demo).
"""
