"""Keeping the stack up: restart a child that dies (with backoff), give up on a crash loop."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from ops.services import Service

logger = logging.getLogger("supervisor")

# Restart delays grow 0.5 s, 1 s, 2 s … with the crashes in the window, up to this.
MAX_BACKOFF = 10.0
# More than this many crashes within the window and the supervisor gives up on the child.
MAX_CRASHES = 5
CRASH_WINDOW = 60.0
TAIL_LINES = 15


class State(StrEnum):
    """Where one child is in its life cycle."""

    RUNNING = "running"  # healthy
    STARTING = "starting"  # launched, health probe not yet passing
    BACKOFF = "backoff"  # waiting to be restarted
    GAVE_UP = "gave_up"  # crashed too often; left stopped


@dataclass
class Child:
    """A supervised service and its restart bookkeeping."""

    service: Service
    state: State = State.RUNNING
    crashes: deque[float] = field(default_factory=deque)
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = 0.0
    deadline: float = 0.0
    died_at: float | None = None
    last_restart_seconds: float | None = None
    last_exit: str = ""


class Supervisor:
    """Watches running services and heals them; :meth:`step` is one non-blocking round.

    ``essential`` names the child without which the stack is useless (the bot): giving up on it
    makes :attr:`failed` true, and ``make run`` exits non-zero. Giving up on any other child
    leaves the rest serving (the bot apologises for what is missing).
    """

    def __init__(
        self,
        services: list[Service],
        essential: str = "bot",
        status_file: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_crashes: int = MAX_CRASHES,
        crash_window: float = CRASH_WINDOW,
        max_backoff: float = MAX_BACKOFF,
    ) -> None:
        self.children = {s.name: Child(s, started_at=clock()) for s in services}
        self.order = [s.name for s in services]
        self.essential = essential
        self.status_file = status_file
        self.clock = clock
        self.max_crashes = max_crashes
        self.crash_window = crash_window
        self.max_backoff = max_backoff
        self.failed = False
        self._written = ""

    def backoff(self, child: Child) -> float:
        """Delay before the next restart: doubles with each recent crash."""
        return float(min(self.max_backoff, 0.5 * 2 ** max(0, len(child.crashes) - 1)))

    def step(self) -> None:
        """Notice deaths, start what is due, promote children whose health probe passes."""
        now = self.clock()
        for name in self.order:
            child = self.children[name]
            if child.state in (State.RUNNING, State.STARTING) and not child.service.alive():
                self._crashed(child, now)
        for name in self.order:
            child = self.children[name]
            if child.state is State.STARTING:
                self._check_starting(child, now)
            elif child.state is State.BACKOFF and now >= child.next_start:
                if all(self._ready(dep) for dep in child.service.requires):
                    self._launch(child, now)
        self.write_status()

    def _ready(self, name: str) -> bool:
        child = self.children.get(name)
        return child is None or child.state is State.RUNNING

    def _crashed(self, child: Child, now: float) -> None:
        """Record a death; schedule a restart or give up; restart dependents afterwards too."""
        service = child.service
        child.last_exit = service.exit_description()
        service.signal(signal.SIGKILL)  # leftovers of its process group must not hold the port
        child.crashes.append(now)
        while child.crashes and now - child.crashes[0] > self.crash_window:
            child.crashes.popleft()
        if child.died_at is None:
            child.died_at = now
        tail = service.log_tail(TAIL_LINES)
        if len(child.crashes) > self.max_crashes:
            child.state = State.GAVE_UP
            message = (
                f"{service.name} crashed {len(child.crashes)} times within "
                f"{self.crash_window:.0f}s ({child.last_exit}); giving up on it"
            )
            logger.error("%s; last log lines:\n%s", message, tail)
            service.note(message, "ERROR")
            if service.name == self.essential:
                self.failed = True
            return
        delay = self.backoff(child)
        child.state = State.BACKOFF
        child.next_start = now + delay
        message = f"{service.name} stopped ({child.last_exit}); restarting in {delay:.1f}s"
        logger.warning("%s; last log lines:\n%s", message, tail)
        service.note(message, "WARNING")
        for other in self.children.values():
            if service.name in other.service.requires and other.state in (
                State.RUNNING,
                State.STARTING,
            ):
                self._restart_dependent(other, now, service.name)

    def _restart_dependent(self, child: Child, now: float, because: str) -> None:
        """Stop a child whose dependency restarts; it starts again once that one is healthy."""
        logger.warning("restarting %s too, after %s is back", child.service.name, because)
        child.service.note(f"stopping: {because} restarts", "WARNING")
        child.service.stop(timeout=8)
        child.state = State.BACKOFF
        child.next_start = now
        child.died_at = now

    def _launch(self, child: Child, now: float) -> None:
        try:
            child.service.start()
        except OSError as exc:
            logger.error("could not start %s: %s", child.service.name, exc)
            child.state = State.BACKOFF
            child.crashes.append(now)
            child.next_start = now + self.backoff(child)
            return
        child.state = State.STARTING
        child.started_at = now
        child.deadline = now + child.service.startup_timeout
        child.restarts += 1

    def _check_starting(self, child: Child, now: float) -> None:
        service = child.service
        if service.healthy():
            child.state = State.RUNNING
            if child.died_at is not None:
                child.last_restart_seconds = now - child.died_at
            child.died_at = None
            logger.info(
                "%s is back (pid %s, %.1fs after it stopped)",
                service.name,
                service.pid,
                child.last_restart_seconds or 0.0,
            )
            service.note(f"healthy again after {child.last_restart_seconds or 0.0:.1f}s")
        elif now > child.deadline:
            logger.error(
                "%s was not healthy %.0fs after its restart", service.name, service.startup_timeout
            )
            service.signal(signal.SIGTERM)
            try:
                if service.process is not None:
                    service.process.wait(5)
            except subprocess.TimeoutExpired:
                pass
            self._crashed(child, now)

    @property
    def bot_given_up(self) -> bool:
        """Whether the essential child is beyond saving."""
        return self.failed

    def status(self) -> dict[str, object]:
        """Every child's state, pid and restart counts (written to ``status_file``)."""
        return {
            name: {
                "state": child.state.value,
                "pid": child.service.pid if child.service.alive() else None,
                "restarts": child.restarts,
                "last_exit": child.last_exit,
                "last_restart_seconds": child.last_restart_seconds,
            }
            for name, child in self.children.items()
        }

    def write_status(self) -> None:
        """Write :meth:`status` as JSON when it changed (atomically, for readers)."""
        if self.status_file is None:
            return
        text = json.dumps(self.status(), indent=2, sort_keys=True)
        if text == self._written:
            return
        tmp = self.status_file.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(self.status_file)
        self._written = text

    def run(self, stop: threading.Event, interval: float = 0.25) -> None:
        """Heal until ``stop`` is set or the essential child is given up."""
        while not stop.is_set() and not self.failed:
            self.step()
            stop.wait(interval)
        self.write_status()
