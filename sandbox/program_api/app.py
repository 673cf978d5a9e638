"""FastAPI app implementing docs/program-api.openapi.yaml, plus fault injection for tests."""

import asyncio
import json
import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from fastapi import FastAPI, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from . import models, scenarios
from .db import DEFAULT_DB, REPO_ROOT, Store, load_demo_applicants

OPENAPI_PATH = REPO_ROOT / "docs" / "program-api.openapi.yaml"
DEFAULT_TOKEN = "sandbox-token"
log = logging.getLogger("sandbox.program_api")

FaultMode = Literal["none", "latency", "error500", "ratelimit", "timeout", "malformed"]


class GelombangChange(BaseModel):
    """Body of POST /_sandbox/gelombang: add a gelombang or change one (sandbox only)."""

    nomor: int | None = Field(default=None, ge=1, le=100000)  # None: the next number
    status: Literal["upcoming", "open", "closed", "announced"] = "open"
    dibuka: datetime | None = None
    ditutup: datetime | None = None
    pengumuman: str | None = None
    kuota: int | None = Field(default=50_000, ge=0)


class FaultConfig(BaseModel):
    """Body of POST /_sandbox/faults."""

    mode: FaultMode = "none"
    seconds: float = Field(default=0.0, ge=0, le=600)
    retry_after: int = Field(default=1, ge=0, le=3600)
    times: int | None = Field(default=None, ge=1)


@dataclass
class FaultState:
    """Active fault; `times` counts down per /v1 request, None means until reset."""

    config: FaultConfig = field(default_factory=FaultConfig)
    remaining: int | None = None
    reset: asyncio.Event = field(default_factory=asyncio.Event)

    def set(self, config: FaultConfig) -> None:
        """Install a new fault (wakes requests stuck in the previous `timeout`)."""
        self.reset.set()
        self.reset = asyncio.Event()
        self.config = config
        self.remaining = config.times

    def take(self) -> FaultConfig | None:
        """Fault to apply to this request, consuming one use."""
        if self.config.mode == "none":
            return None
        config = self.config
        if self.remaining is not None:
            self.remaining -= 1
            if self.remaining <= 0:
                self.config, self.remaining = FaultConfig(), None
        return config


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Any:
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


class GateMiddleware:
    """Bearer auth for /v1 and /_sandbox; fault injection for /v1 (before auth, like an outage)."""

    def __init__(self, app: ASGIApp, token: str, faults: FaultState) -> None:
        self.app, self.token, self.faults = app, token, faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path.startswith("/v1/") or path == "/v1" or path.startswith("/_sandbox")):
            await self.app(scope, receive, send)
            return
        if path.startswith("/v1"):
            fault = self.faults.take()
            if fault is not None:
                response = await self._fault(fault, receive)
                if response is not None:
                    await response(scope, receive, send)
                    return
        if not self._authorized(scope):
            response = _error(
                401, "UNAUTHORIZED", "Token tidak valid.", {"WWW-Authenticate": "Bearer"}
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                return scheme.lower() == "bearer" and secrets.compare_digest(
                    token.strip().encode(), self.token.encode()
                )
        return False

    async def _fault(self, fault: FaultConfig, receive: Receive) -> Response | None:
        if fault.mode == "latency":
            await asyncio.sleep(fault.seconds)
            return None
        if fault.mode == "error500":
            return _error(500, "INTERNAL", "Kesalahan server (simulasi).")
        if fault.mode == "ratelimit":
            headers = {"Retry-After": str(fault.retry_after)}
            return _error(429, "RATE_LIMITED", "Terlalu banyak permintaan.", headers)
        if fault.mode == "malformed":
            return Response('{"data": [{"nomor": 1,', media_type="application/json")
        # timeout: hang far longer than any client timeout, but stop early when the fault is
        # reset, or the server shuts down (task cancelled).
        await self._hang(fault.seconds or 60.0)
        return _error(503, "UNAVAILABLE", "Layanan tidak merespons (simulasi).")

    async def _hang(self, seconds: float) -> None:
        reset = asyncio.ensure_future(self.faults.reset.wait())
        try:
            await asyncio.wait({reset}, timeout=seconds)
        finally:
            reset.cancel()


def _load_openapi() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))
    return doc


def create_app(
    db_path: Path = DEFAULT_DB, token: str | None = None, ref_ttl: timedelta | None = None
) -> FastAPI:
    """Build the app and (re)seed its database for today (WIB)."""
    token = token or os.environ.get("PROGRAM_API_TOKEN") or DEFAULT_TOKEN
    ttl = ref_ttl or timedelta(seconds=float(os.environ.get("PROGRAM_API_REF_TTL", 86400)))
    store = Store(db_path)
    now = scenarios.now_wib()
    store.seed(load_demo_applicants(), now.date(), now)
    openapi_doc = _load_openapi()
    faults = FaultState()

    # The served contract is the hand-written document, not FastAPI's generated one.
    app = FastAPI(
        title="Prakerja Program API sandbox", openapi_url=None, docs_url=None, redoc_url=None
    )
    app.state.store = store
    app.state.faults = faults
    app.add_middleware(GateMiddleware, token=token, faults=faults)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> Response:
        # Name the fields only: echoing values could leak a NIK or phone into logs.
        fields = sorted({str(err["loc"][-1]) for err in exc.errors() if err.get("loc")})
        return _error(422, "INVALID_REQUEST", "Isian tidak valid: " + ", ".join(fields) + ".")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400:
            # FastAPI answers an unparsable JSON body with 400; the contract says 422.
            return _error(422, "INVALID_REQUEST", "Isi permintaan bukan JSON yang valid.")
        codes = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 403: "FORBIDDEN"}
        code = codes.get(exc.status_code, "ERROR")
        message = exc.detail if isinstance(exc.detail, str) else "Permintaan gagal."
        return _error(exc.status_code, code, message, dict(exc.headers or {}))

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_json() -> dict[str, Any]:
        return openapi_doc

    @app.get("/openapi.yaml", include_in_schema=False)
    async def openapi_yaml() -> Response:
        return Response(OPENAPI_PATH.read_bytes(), media_type="application/yaml")

    @app.post("/_sandbox/faults", include_in_schema=False)
    async def set_fault(config: FaultConfig) -> dict[str, Any]:
        faults.set(config)
        return {"ok": True, "fault": config.model_dump()}

    @app.delete("/_sandbox/faults", include_in_schema=False)
    async def clear_fault() -> dict[str, bool]:
        faults.set(FaultConfig())
        return {"ok": True}

    @app.post("/_sandbox/gelombang", include_in_schema=False)
    async def change_gelombang(change: GelombangChange) -> Any:
        # Demos and tests: open or announce a gelombang so the bot's poller sees an event.
        now = scenarios.now_wib()
        current = {g["nomor"]: g for g in store.list_gelombang()}
        nomor = change.nomor or max(current, default=0) + 1
        doc = dict(current.get(nomor) or {})
        dibuka = change.dibuka or (
            datetime.fromisoformat(doc["dibuka"]) if "dibuka" in doc else now
        )
        ditutup = change.ditutup or (
            datetime.fromisoformat(doc["ditutup"]) if "ditutup" in doc else now + timedelta(days=7)
        )
        doc.update(
            nomor=nomor,
            status=change.status,
            dibuka=dibuka.isoformat(),
            ditutup=ditutup.isoformat(),
            pengumuman=change.pengumuman if change.pengumuman else doc.get("pengumuman"),
            kuota=change.kuota,
            mode_pelatihan=doc.get("mode_pelatihan") or ["daring", "luring", "bauran"],
            diperbarui_pada=now.isoformat(),
        )
        validated = models.Gelombang.model_validate(doc)
        store.put_gelombang(nomor, validated.model_dump(mode="json"))
        return validated.model_dump(mode="json")

    @app.get("/v1/gelombang", response_model=models.GelombangList)
    async def list_gelombang() -> models.GelombangList:
        items = [models.Gelombang.model_validate(g) for g in store.list_gelombang()]
        return models.GelombangList(data=items)

    @app.get("/v1/gelombang/{nomor}", response_model=models.Gelombang)
    async def get_gelombang(nomor: int = PathParam(ge=1, le=100000)) -> Any:
        doc = store.get_gelombang(nomor)
        if doc is None:
            return _error(404, "NOT_FOUND", "Gelombang tidak ditemukan.")
        return models.Gelombang.model_validate(doc)

    @app.post("/v1/applicants/verify", response_model=models.VerifyResponse)
    async def verify(body: models.VerifyRequest) -> Any:
        ref = store.verify(body.nik, body.phone, ttl, datetime.now(scenarios.WIB))
        if ref is None:
            # One answer for every mismatch: never reveal whether the NIK exists.
            return _error(404, "NO_MATCH", "Data tidak cocok dengan peserta mana pun.")
        return models.VerifyResponse(applicant_ref=ref)

    @app.get("/v1/applicants/{applicant_ref}/status", response_model=models.ApplicantStatus)
    async def applicant_status(applicant_ref: str) -> Any:
        doc = store.status_for_ref(applicant_ref, datetime.now(scenarios.WIB))
        if doc is None:
            return _error(404, "NOT_FOUND", "Data tidak ditemukan atau verifikasi kedaluwarsa.")
        return models.ApplicantStatus.model_validate(doc)

    log.info("program API sandbox ready: %s", json.dumps({"db": str(db_path)}))
    return app
