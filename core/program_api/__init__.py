"""The Prakerja program API (docs/program-api.openapi.yaml): client, documents and errors."""

from core.program_api.client import (
    ProgramAPI,
    get_shared_client,
    set_shared_client,
)
from core.program_api.errors import (
    ApplicantNotFound,
    ProgramAPIAuthError,
    ProgramAPIBadResponse,
    ProgramAPIError,
    ProgramAPIInvalidRequest,
    ProgramAPIRateLimited,
    ProgramAPIUnavailable,
)
from core.program_api.models import (
    GELOMBANG_STATUSES,
    Akun,
    ApplicantStatus,
    Gelombang,
    GelombangAktif,
    Insentif,
    Kartu,
    Pelatihan,
    Rekening,
    RiwayatGelombang,
    Survei,
    Tkd,
    parse_applicant_status,
    parse_gelombang,
)

__all__ = [
    "GELOMBANG_STATUSES",
    "Akun",
    "ApplicantNotFound",
    "ApplicantStatus",
    "Gelombang",
    "GelombangAktif",
    "Insentif",
    "Kartu",
    "Pelatihan",
    "ProgramAPI",
    "ProgramAPIAuthError",
    "ProgramAPIBadResponse",
    "ProgramAPIError",
    "ProgramAPIInvalidRequest",
    "ProgramAPIRateLimited",
    "ProgramAPIUnavailable",
    "Rekening",
    "RiwayatGelombang",
    "Survei",
    "Tkd",
    "get_shared_client",
    "parse_applicant_status",
    "parse_gelombang",
    "set_shared_client",
]
