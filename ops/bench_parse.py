"""CPU per message of the NLU alone (Rasa's parse, no dialogue): a benchmark, not a test.

Usage (engine venv, from the repo root; compare models trained one after the other):
    .venvs/engine/bin/python ops/bench_parse.py models/prakerja.tar.gz [other.tar.gz ...]

Parses the load benchmark's FAQ messages (``ops/bench_load.FAQ``) once to warm up, then
``--rounds`` times, and prints the process CPU per parse: the cost of the pipeline in
``config.yml`` per message, without Rasa's HTTP, tracker and policies.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ops.bench_load import FAQ


async def cpu_per_parse(model: Path, rounds: int) -> float:
    """Milliseconds of process CPU per ``parse_message`` on a loaded model."""
    import logging

    import structlog
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings

    configure_logging_and_warnings(logging.WARNING)
    # Rasa's structured log writes a debug line per parse unless told otherwise
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    agent = Agent.load(str(model))
    for message in FAQ:
        await agent.parse_message(message)
    began = time.process_time()
    for _ in range(rounds):
        for message in FAQ:
            await agent.parse_message(message)
    return (time.process_time() - began) / (rounds * len(FAQ)) * 1000


def main() -> None:
    """Print the CPU per parse of each model."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    for model in args.models:
        ms = asyncio.run(cpu_per_parse(model, args.rounds))
        print(f"{model}: {ms:.2f} ms CPU per parse ({args.rounds * len(FAQ)} messages)")


if __name__ == "__main__":
    main()
