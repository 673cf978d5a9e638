"""The assistant's processes and how they are wired together, for `make run` and the e2e tests."""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from ops.services import BOT_PYTHON, ENGINE_BIN, REPO, Service, file_exists, http_ok

SANDBOX_BOT_TOKEN = "1000000001:SANDBOX-local-token"  # accepted by the local Bot API emulator
# The emulator's demo staff forum (`--staff-group`) and its owner, Rina, as the operator.
SANDBOX_STAFF_CHAT_ID = "-1001000000001"
SANDBOX_ADMIN_USER_IDS = "500000001"
MODEL = REPO / "models" / "prakerja.tar.gz"
DEFAULT_STARTUP_WAIT = 300.0  # the bot's STARTUP_WAIT_SECONDS default


@dataclass
class StackConfig:
    """Ports, paths and the external systems to use (None means: start the local sandbox)."""

    run_dir: Path = REPO / "var" / "run"
    log_dir: Path = REPO / "var" / "log"
    data_dir: Path = REPO / "var" / "data"
    sandbox_dir: Path = REPO / "var" / "sandbox"
    host: str = "127.0.0.1"
    rasa_port: int = 5005
    actions_port: int = 5055
    chat_port: int = 8080
    program_api_port: int = 8081
    # The bot's /metrics, /healthz and /readyz (METRICS_HOST, METRICS_PORT; 0 turns them off).
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9464
    rasa_token: str = ""
    action_server_token: str = ""
    telegram_bot_token: str | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    program_api_url: str | None = None
    program_api_token: str = "sandbox-token"
    redis_url: str | None = None
    tracker_store_url: str | None = None
    retention_days: str | None = None  # RETENTION_DAYS for Rasa's retention task (default 30)
    # Per-request timeout of the action server's program API client: with its retries the whole
    # action must finish well inside the bot's RASA_TIMEOUT (10 s).
    actions_program_api_timeout: float = 2.5
    model: Path = MODEL
    bot_env: dict[str, str] = field(default_factory=dict)
    log_format: str = "text"  # LOG_FORMAT: the supervisor writes every child's log in it
    # Extra flags for the Bot API emulator, e.g. ["--limits", "telegram"] (send caps on).
    emulator_args: list[str] = field(default_factory=list)
    # Extra environment for Rasa, e.g. {"SANIC_WORKERS": "2"} (needs redis_url and a shared
    # tracker_store_url).
    rasa_env: dict[str, str] = field(default_factory=dict)
    # More Rasa processes beside the first (RASA_PROCESSES - 1): the bot routes each applicant to
    # one of them (RASA_URL lists them all). Their ports; empty means one Rasa on rasa_port.
    extra_rasa_ports: tuple[int, ...] = ()

    @classmethod
    def on_free_ports(
        cls, root: Path, *, rasa_processes: int = 1, **overrides: object
    ) -> StackConfig:
        """A throwaway stack under ``root`` on free loopback ports (tests and benchmarks)."""
        return cls(
            extra_rasa_ports=tuple(free_port() for _ in range(rasa_processes - 1)),
            run_dir=root / "run",
            log_dir=root / "log",
            data_dir=root / "data",
            sandbox_dir=root / "sandbox",
            rasa_port=free_port(),
            actions_port=free_port(),
            chat_port=free_port(),
            program_api_port=free_port(),
            metrics_port=free_port(),
            rasa_token=secrets.token_hex(16),
            action_server_token=secrets.token_hex(16),
            **overrides,  # type: ignore[arg-type]
        )

    @property
    def rasa_ports(self) -> tuple[int, ...]:
        """The port of every Rasa process, the first one's first."""
        return (self.rasa_port, *self.extra_rasa_ports)

    @property
    def rasa_urls(self) -> list[str]:
        """Every Rasa process's address (the bot's RASA_URL joins them with commas)."""
        return [f"http://{self.host}:{port}" for port in self.rasa_ports]

    @property
    def uses_emulator(self) -> bool:
        """No token: the bot talks to the local Bot API emulator."""
        return not self.telegram_bot_token

    @property
    def metrics_url(self) -> str | None:
        """Where the bot serves /metrics, /healthz and /readyz (None when turned off)."""
        if not self.metrics_port:
            return None
        host = self.host if self.metrics_host in ("0.0.0.0", "::", "") else self.metrics_host
        return f"http://{host}:{self.metrics_port}"

    @property
    def effective_program_api_url(self) -> str:
        """The program API to use: the configured one or the local sandbox."""
        return self.program_api_url or f"http://{self.host}:{self.program_api_port}"


def free_port() -> int:
    """A currently free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def endpoints_yaml(config: StackConfig) -> str:
    """Rasa's endpoints: the action server, and Redis / SQL stores when configured.

    Secrets are written as ``${VAR}`` (unquoted: Rasa's YAML loader only expands plain
    scalars) and reach Rasa through its environment (:func:`rasa_secret_env`), never the disk.
    """
    lines = [
        "action_endpoint:",
        f'  url: "http://{config.host}:{config.actions_port}/webhook"',
        "  headers:",
        "    Authorization: Bearer ${ACTION_SERVER_TOKEN}",
    ]
    if config.redis_url:
        redis = urlsplit(config.redis_url)
        lines += [
            "lock_store:",
            "  type: redis",
            f'  url: "{redis.hostname or "127.0.0.1"}"',
            f"  port: {redis.port or 6379}",
            f"  db: {int((redis.path or '/1').strip('/') or 1)}",
            '  key_prefix: "prakerja"',
        ]
        if redis.password:
            lines.append("  password: ${LOCK_STORE_PASSWORD}")
    if config.tracker_store_url:
        sql = urlsplit(config.tracker_store_url)
        dialect = sql.scheme.split("+")[0]
        lines += [
            "tracker_store:",
            "  type: SQL",
            f'  dialect: "{dialect}"',
            f'  url: "{sql.hostname}"',
            f"  port: {sql.port or 5432}",
            f'  db: "{sql.path.strip("/")}"',
        ]
        if sql.username:
            lines.append(f'  username: "{unquote(sql.username)}"')
        if sql.password:
            lines.append("  password: ${TRACKER_STORE_PASSWORD}")
    return "\n".join(lines) + "\n"


def rasa_secret_env(config: StackConfig) -> dict[str, str]:
    """The secrets Rasa needs, for its environment: its own token and those endpoints.yml names."""
    env = {"RASA_TOKEN": config.rasa_token, "ACTION_SERVER_TOKEN": config.action_server_token}
    if config.redis_url and urlsplit(config.redis_url).password:
        env["LOCK_STORE_PASSWORD"] = unquote(urlsplit(config.redis_url).password or "")
    if config.tracker_store_url and urlsplit(config.tracker_store_url).password:
        env["TRACKER_STORE_PASSWORD"] = unquote(urlsplit(config.tracker_store_url).password or "")
    return env


def _rasa_loaded(response: httpx.Response) -> bool:
    try:
        return bool(response.json().get("model_file"))
    except ValueError:
        return False


def startup_wait_seconds(config: StackConfig) -> float:
    """The bot's STARTUP_WAIT_SECONDS (300 when unset or invalid: the bot reports that itself)."""
    raw = config.bot_env.get("STARTUP_WAIT_SECONDS", os.environ.get("STARTUP_WAIT_SECONDS"))
    try:
        return max(0.0, float(raw)) if raw and raw.strip() else DEFAULT_STARTUP_WAIT
    except ValueError:
        return DEFAULT_STARTUP_WAIT


def build_stack(config: StackConfig) -> list[Service]:
    """The processes in start order: sandboxes, action server, Rasa, then the bot."""
    if not config.rasa_token or not config.action_server_token:
        raise ValueError("the stack needs both a Rasa token and an action server token")
    config.run_dir.mkdir(parents=True, exist_ok=True)
    endpoints = config.run_dir / "endpoints.yml"
    credentials = config.run_dir / "credentials.yml"
    endpoints.write_text(endpoints_yaml(config))
    # Only the authenticated bot channel: no `rest:` (it converses as anyone, with any metadata).
    credentials.write_text("nlu.server.channel.BotChannel: {}\n")
    # Rasa and the action server write LOG_FORMAT themselves; the supervisor writes (and rotates)
    # their log files from their output, so they must not open LOG_DIR files of their own.
    engine_env = {
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "LOG_FORMAT": config.log_format,
        "LOG_DIR": "",
    }
    host = config.host
    services: list[Service] = []

    if config.program_api_url is None:
        services.append(
            Service(
                name="program-api-sandbox",
                argv=[
                    str(BOT_PYTHON),
                    "-m",
                    "sandbox.program_api",
                    "--host",
                    host,
                    "--port",
                    str(config.program_api_port),
                    "--db",
                    str(config.sandbox_dir / "program_api.sqlite"),
                ],
                healthy=http_ok(f"http://{host}:{config.program_api_port}/healthz"),
                log_path=config.log_dir / "program-api-sandbox.log",
                env={"PROGRAM_API_TOKEN": config.program_api_token},
                url=f"http://{host}:{config.program_api_port}",
            )
        )
    if config.uses_emulator:
        services.append(
            Service(
                name="telegram-emulator",
                argv=[
                    str(BOT_PYTHON),
                    "-m",
                    "sandbox.telegram",
                    "--host",
                    host,
                    "--port",
                    str(config.chat_port),
                    "--staff-group",
                    *config.emulator_args,
                ],
                healthy=http_ok(f"http://{host}:{config.chat_port}/healthz"),
                log_path=config.log_dir / "telegram-emulator.log",
                url=f"http://{host}:{config.chat_port}",
            )
        )
    engine_python = str(ENGINE_BIN / "python")
    services.append(
        Service(
            name="action-server",
            argv=[engine_python, "-m", "actions", "--port", str(config.actions_port)],
            healthy=http_ok(f"http://{host}:{config.actions_port}/health"),
            log_path=config.log_dir / "action-server.log",
            env={
                **engine_env,
                "SANIC_HOST": host,
                "ACTION_SERVER_TOKEN": config.action_server_token,
                "PROGRAM_API_URL": config.effective_program_api_url,
                "PROGRAM_API_TOKEN": config.program_api_token,
                "PROGRAM_API_TIMEOUT": str(config.actions_program_api_timeout),
            },
            startup_timeout=90,
            url=f"http://{host}:{config.actions_port}",
        )
    )
    rasa_env = {**engine_env, **rasa_secret_env(config), **config.rasa_env}
    if config.retention_days:
        rasa_env["RETENTION_DAYS"] = config.retention_days
    for number, port in enumerate(config.rasa_ports, start=1):
        services.append(
            Service(
                name="rasa" if number == 1 else f"rasa-{number}",
                argv=[
                    engine_python,
                    "-m",
                    "nlu.server",  # RASA_TOKEN comes from the environment, never argv (`ps`)
                    "--interface",
                    host,
                    "--port",
                    str(port),
                    "--model",
                    str(config.model),
                    "--endpoints",
                    str(endpoints),
                    "--credentials",
                    str(credentials),
                ],
                healthy=http_ok(
                    f"http://{host}:{port}/status",
                    _rasa_loaded,
                    headers={"Authorization": f"Bearer {config.rasa_token}"},
                ),
                log_path=config.log_dir / ("rasa.log" if number == 1 else f"rasa-{number}.log"),
                env=rasa_env,
                startup_timeout=240,
                url=f"http://{host}:{port}",
            )
        )
    ready_file = config.run_dir / "bot.ready"
    ready_file.unlink(missing_ok=True)
    telegram_token = config.telegram_bot_token or SANDBOX_BOT_TOKEN
    base_url = config.telegram_base_url
    sandbox_staff: dict[str, str] = {}
    if config.uses_emulator:
        base_url = f"http://{host}:{config.chat_port}/bot"
        sandbox_staff = {
            "STAFF_CHAT_ID": SANDBOX_STAFF_CHAT_ID,
            "ADMIN_USER_IDS": SANDBOX_ADMIN_USER_IDS,
        }
    # Healthy once start-up finished (the ready file) and, when on, /healthz answers.
    ready_written = file_exists(ready_file)
    bot_healthz = http_ok(f"{config.metrics_url}/healthz") if config.metrics_url else None

    def bot_healthy() -> bool:
        return ready_written() and (bot_healthz is None or bot_healthz())

    services.append(
        Service(
            name="bot",
            argv=[str(BOT_PYTHON), "-m", "bot"],
            healthy=bot_healthy,
            log_path=config.log_dir / "bot.log",
            env={
                "TELEGRAM_BOT_TOKEN": telegram_token,
                "TELEGRAM_BASE_URL": base_url,
                "RASA_URL": ",".join(config.rasa_urls),
                "RASA_TOKEN": config.rasa_token,
                "PROGRAM_API_URL": config.effective_program_api_url,
                "PROGRAM_API_TOKEN": config.program_api_token,
                "DATA_DIR": str(config.data_dir),
                "BOT_READY_FILE": str(ready_file),
                "METRICS_HOST": config.metrics_host,
                "METRICS_PORT": str(config.metrics_port),
                # The supervisor writes (and rotates) the bot's log file from its output.
                "LOG_DIR": "",
                "LOG_FORMAT": config.log_format,
                **sandbox_staff,
                **config.bot_env,
            },
            # The bot may wait for Rasa's model (STARTUP_WAIT_SECONDS) before it is ready, e.g.
            # when it restarts while Rasa reloads: that is not a failed start.
            startup_timeout=60 + startup_wait_seconds(config),
            url=config.metrics_url or "",
            # The emulator forgets chats and update ids when it restarts: the bot restarts too.
            requires=("telegram-emulator",) if config.uses_emulator else (),
        )
    )
    for service in services:
        service.log_format = config.log_format
    return services
