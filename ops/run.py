"""`make run`: check the settings, start the whole assistant, heal it, stop it all on Ctrl-C."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from bot.startup import (
    EXIT_INVALID_SETTINGS,
    SettingsError,
    check_port_free,
    check_settings,
    load_settings,
    parse_port,
)
from ops.services import PRIVATE_ENV, REPO, LogSink, Service, ServiceFailed, stop_all
from ops.stack import MODEL, StackConfig, build_stack
from ops.supervisor import Supervisor

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
STOP_TIMEOUT = 12.0  # with the kill margin, everything is down within 15 s of Ctrl-C
log = logging.getLogger("supervisor")


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
        try:
            value = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(f"{name}_FILE cannot be read ({path}): {exc.strerror}.") from None
    return value


def _path(name: str, default: Path) -> Path:
    """A folder setting, relative to the repository when not absolute."""
    value = os.environ.get(name, "").strip()
    return (REPO / value).resolve() if value else default


def _int(name: str, default: int) -> int:
    """A whole-number setting; :class:`SettingsError` naming it when it is not one."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {value[:40]!r}.") from None


def config_from_env() -> tuple[StackConfig, bool]:
    """The stack configuration from the environment; also whether RASA_TOKEN was generated."""
    load_dotenv()
    rasa_token = secret_from_env("RASA_TOKEN")
    generated = not rasa_token
    var_dir = _path("VAR_DIR", REPO / "var")
    env = os.environ
    rasa_port = parse_port("RASA_PORT", env.get("RASA_PORT"), 5005)
    rasa_processes = _int("RASA_PROCESSES", 1)
    if not 1 <= rasa_processes <= 16 or rasa_port + rasa_processes - 1 > 65535:
        raise SettingsError(
            f"RASA_PROCESSES must be from 1 to 16 (on ports from RASA_PORT up), "
            f"not {rasa_processes}."
        )
    config = StackConfig(
        run_dir=var_dir / "run",
        sandbox_dir=var_dir / "sandbox",
        log_dir=_path("LOG_DIR", var_dir / "log"),
        data_dir=_path("DATA_DIR", REPO / "var" / "data"),
        rasa_token=rasa_token or secrets.token_hex(24),
        # Only Rasa and the action server need it, so a per-session one is fine by default.
        action_server_token=secret_from_env("ACTION_SERVER_TOKEN") or secrets.token_hex(24),
        telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN") or None,
        telegram_base_url=env.get("TELEGRAM_BASE_URL", "https://api.telegram.org/bot"),
        program_api_url=env.get("PROGRAM_API_URL") or None,
        program_api_token=env.get("PROGRAM_API_TOKEN", "sandbox-token"),
        redis_url=env.get("REDIS_URL") or None,
        tracker_store_url=env.get("TRACKER_STORE_URL") or None,
        retention_days=env.get("RETENTION_DAYS") or None,
        chat_port=parse_port("SANDBOX_CHAT_PORT", env.get("SANDBOX_CHAT_PORT"), 8080),
        program_api_port=parse_port(
            "SANDBOX_PROGRAM_API_PORT", env.get("SANDBOX_PROGRAM_API_PORT"), 8081
        ),
        rasa_port=rasa_port,
        # RASA_PROCESSES: Rasa processes on consecutive ports; the bot routes each applicant
        extra_rasa_ports=tuple(rasa_port + n for n in range(1, rasa_processes)),
        actions_port=parse_port("ACTION_SERVER_PORT", env.get("ACTION_SERVER_PORT"), 5055),
        metrics_host=env.get("METRICS_HOST", "").strip() or "127.0.0.1",
        metrics_port=metrics_port(env.get("METRICS_PORT")),
    )
    return config, generated


def metrics_port(value: str | None) -> int:
    """METRICS_PORT: unset means 9464; empty or ``0`` turns the bot's endpoint off."""
    if value is None:
        return 9464
    if value.strip() in ("", "0"):
        return 0
    return parse_port("METRICS_PORT", value, 9464)


def refusal(config: StackConfig) -> str | None:
    """Why this configuration must not start, or None."""
    allow_memory = os.environ.get("ALLOW_IN_MEMORY_TRACKER_STORE", "").strip().lower() == "true"
    if not config.uses_emulator and not config.tracker_store_url and not allow_memory:
        return (
            "Refusing to start: with a real TELEGRAM_BOT_TOKEN set TRACKER_STORE_URL (Rasa would "
            "keep conversations only in memory), or set ALLOW_IN_MEMORY_TRACKER_STORE=true."
        )
    return None


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` as a child with these values would see it (restored afterwards)."""
    saved = dict(os.environ)
    try:
        for key in PRIVATE_ENV:
            os.environ.pop(key, None)
        os.environ.update(values)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def check_stack(config: StackConfig, services: list[Service]) -> None:
    """Every check that needs no process: the bot's settings as it will get them, the ports."""
    bot = next(s for s in services if s.name == "bot")
    with environment(bot.env):
        settings = load_settings()
    check_settings(settings)
    ports = [("RASA_PORT", config.rasa_port), ("ACTION_SERVER_PORT", config.actions_port)]
    ports += [
        (f"RASA_PORT + {n} (RASA_PROCESSES)", port)
        for n, port in enumerate(config.extra_rasa_ports, start=1)
    ]
    if config.program_api_url is None:
        ports.append(("SANDBOX_PROGRAM_API_PORT", config.program_api_port))
    if config.uses_emulator:
        ports.append(("SANDBOX_CHAT_PORT", config.chat_port))
    if config.metrics_port:
        ports.append(("METRICS_PORT", config.metrics_port))
    seen: dict[int, str] = {}
    for variable, port in ports:
        if port in seen:
            raise SettingsError(f"{variable} and {seen[port]} are both port {port}.")
        seen[port] = variable
        check_port_free(variable, config.host, port)


class SinkHandler(logging.Handler):
    """Supervisor log records into ``LOG_DIR/supervisor.log`` (text or JSON, rotated)."""

    def __init__(self, sink: LogSink) -> None:
        super().__init__()
        self.sink = sink
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s supervisor: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record (its first line as the event in JSON; the tail follows as lines)."""
        try:
            text = self.format(record) if not self.sink.json else record.getMessage()
            for line in text.splitlines() or [""]:
                self.sink.write_line(
                    line, record.levelname if self.sink.json else None, logger=record.name
                )
        except Exception:
            self.handleError(record)


def configure_logging(config: StackConfig, log_format: str) -> None:
    """The supervisor's own lines: to the terminal, and to LOG_DIR/supervisor.log."""
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    sink = LogSink(config.log_dir / "supervisor.log", "supervisor", log_format)
    logging.basicConfig(level=logging.INFO, handlers=[console, SinkHandler(sink)], force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per health probe otherwise


def main() -> int:
    """Check everything, start every service in order, heal them until a stop signal."""
    stop = threading.Event()
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda *_: stop.set())
    if not MODEL.exists():
        print(f"No trained model at {MODEL}; run `make run` (it trains first).", file=sys.stderr)
        return 1
    try:
        config, generated = config_from_env()
        log_format = (os.environ.get("LOG_FORMAT") or "text").strip().lower()
        config.log_format = log_format
        services = build_stack(config)
        check_stack(config, services)
    except SettingsError as exc:
        print(exc, file=sys.stderr, flush=True)
        return EXIT_INVALID_SETTINGS
    refused = refusal(config)
    if refused:
        print(refused, file=sys.stderr)
        return 1
    configure_logging(config, log_format)
    started: list[Service] = []
    try:
        for service in services:
            if stop.is_set():
                return 130
            log.info("starting %s …", service.name)
            service.start()
            started.append(service)
            service.wait_healthy()
        print_summary(config, generated, services)
        supervisor = Supervisor(services, status_file=config.run_dir / "supervisor.json")
        supervisor.run(stop)
        if supervisor.failed:
            log.error("the bot cannot run; stopping everything")
            return 1
        return 0
    except ServiceFailed as exc:
        log.error("start-up failed: %s", exc)
        return 1
    finally:
        log.info("stopping …")
        began = time.monotonic()
        stop_all(services, timeout=STOP_TIMEOUT, drain_first="bot")
        log.info("all processes stopped in %.1fs", time.monotonic() - began)


def print_summary(config: StackConfig, generated_token: bool, services: list[Service]) -> None:
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
    print(f"  Status:                 {config.run_dir / 'supervisor.json'}")
    print("\nPress Ctrl-C to stop.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
