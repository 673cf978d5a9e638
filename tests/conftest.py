"""Shared pytest set-up for both environments (keep this file Python 3.10 compatible)."""

import importlib.util

# tests/actions and tests/engine run in the engine environment (rasa / rasa_sdk, Python 3.10);
# tests/core runs in both, since both runtimes use the shared core; everything else runs in the
# bot environment. Each side skips collecting the other's tests.
collect_ignore: list = []
if importlib.util.find_spec("rasa_sdk") is None:
    collect_ignore.extend(["actions", "engine"])
else:
    collect_ignore.extend(["bot", "e2e", "ops", "sandbox"])
