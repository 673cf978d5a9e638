"""`make run`: start the whole assistant, print where everything is, stop it all on Ctrl-C."""

from __future__ import annotations

import os
import secrets
import signal
import sys
import threading
import time
from pathlib import Path

from ops.services import REPO, ServiceFailed, stop_all
from ops.stack import MODEL, StackConfig, build_stack

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def load_dotenv(path: Path = REPO / ".env") -> None:
    """Read ``KEY=VALUE`` lines from ``.env`` (the environment wins), as the bot itself does."""
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


def secret_from_env(name: str) -> str:
    """``name`` from the environment, else the contents of the file named by ``name``_FILE."""
    value = os.environ.get(name, "").strip()
    path = os.environ.get(f"{name}_FILE", "").strip()
    if not value and path:
        value = Path(path).read_text(encoding="utf-8").strip()
    return value


def config_from_env() -> tuple[StackConfig, bool]:
    """The stack configuration from the environment; also whether RASA_TOKEN was generated."""
    load_dotenv()
    rasa_token = secret_from_env("RASA_TOKEN")
    generated = not rasa_token
    config = StackConfig(
        rasa_token=rasa_token or secrets.token_hex(24),
        # Only Rasa and the action server need it, so a per-session one is fine by default.
        action_server_token=secret_from_env("ACTION_SERVER_TOKEN") or secrets.token_hex(24),
        telegram_bot_token=os.environ.get("TELEGRAM_BOT_TOKEN") or None,
        telegram_base_url=os.environ.get("TELEGRAM_BASE_URL", "https://api.telegram.org/bot"),
        program_api_url=os.environ.get("PROGRAM_API_URL") or None,
        program_api_token=os.environ.get("PROGRAM_API_TOKEN", "sandbox-token"),
        redis_url=os.environ.get("REDIS_URL") or None,
        tracker_store_url=os.environ.get("TRACKER_STORE_URL") or None,
        retention_days=os.environ.get("RETENTION_DAYS") or None,
        chat_port=int(os.environ.get("SANDBOX_CHAT_PORT", "8080")),
        program_api_port=int(os.environ.get("SANDBOX_PROGRAM_API_PORT", "8081")),
    )
    return config, generated


def refusal(config: StackConfig) -> str | None:
    """Why this configuration must not start, or None."""
    allow_memory = os.environ.get("ALLOW_IN_MEMORY_TRACKER_STORE", "").strip().lower() == "true"
    if not config.uses_emulator and not config.tracker_store_url and not allow_memory:
        return (
            "Refusing to start: with a real TELEGRAM_BOT_TOKEN set TRACKER_STORE_URL (Rasa would "
            "keep conversations only in memory), or set ALLOW_IN_MEMORY_TRACKER_STORE=true."
        )
    return None


def main() -> int:
    """Start every service in order, wait for a stop signal or a crash, then stop everything."""
    stop = threading.Event()
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda *_: stop.set())
    if not MODEL.exists():
        print(f"No trained model at {MODEL}; run `make run` (it trains first).", file=sys.stderr)
        return 1
    config, generated = config_from_env()
    refused = refusal(config)
    if refused:
        print(refused, file=sys.stderr)
        return 1
    services = build_stack(config)
    started = []
    try:
        for service in services:
            if stop.is_set():
                return 130
            print(f"• starting {service.name} …", flush=True)
            service.start()
            started.append(service)
            service.wait_healthy()
        print_summary(config, generated, services)
        while not stop.is_set():
            dead = [s for s in started if not s.alive()]
            if dead:
                print(f"\n{dead[0].name} stopped unexpectedly:\n{dead[0].log_tail()}", flush=True)
                return 1
            stop.wait(0.5)
        return 0
    except ServiceFailed as exc:
        print(f"\nStart-up failed: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        print("\nStopping …", flush=True)
        began = time.monotonic()
        stop_all(started, timeout=10)
        print(f"All processes stopped in {time.monotonic() - began:.1f}s.", flush=True)


def print_summary(config: StackConfig, generated_token: bool, services: list) -> None:  # type: ignore[type-arg]
    """Tell the person at the terminal where everything is."""
    print("\nAsisten Prakerja is running.\n")
    if config.uses_emulator:
        print(f"  Chat with it (sandbox):  http://{config.host}:{config.chat_port}/")
        print("  Telegram:               local Bot API emulator (no token set)")
    else:
        print(f"  Telegram:               polling {config.telegram_base_url}")
    for service in services:
        if service.url:
            print(f"  {service.name + ':':<24}{service.url}")
    if config.program_api_url is None:
        print("  Demo applicants:        sandbox/demo_applicants.yml")
    if generated_token:
        print(f"  RASA_TOKEN (session):   {config.rasa_token}")
    print(f"  Logs:                   {config.log_dir}/")
    print("\nPress Ctrl-C to stop.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
