"""Code both runtimes need: the program API client, WIB dates and identifier helpers.

Neither the bot (Python 3.11+) nor the Rasa engine (Python 3.10) owns this package. It uses the
standard library and httpx only (no pydantic, no rasa_sdk, no telegram), and imports neither
``bot``, ``actions`` nor ``sandbox``; ``make lint`` checks these rules with import-linter.
"""
