"""Which agency runs a procedure, as submission's catalogue says: templates belong to it."""

from __future__ import annotations

import logging
import time
from urllib.parse import quote

import httpx

from hoso_common.errors import ServiceUnavailable

logger = logging.getLogger(__name__)


class ProcedureDirectory:
    """Reads GET /v1/procedures/{code} of submission; answers are kept a few minutes."""

    def __init__(self, base_url: str, timeout_s: float, cache_s: float = 300.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.cache_s = cache_s
        self._agencies: dict[str, tuple[float, str | None]] = {}

    async def agency_of(self, procedure_code: str) -> str | None:
        """The code of the agency that runs the procedure; None when no such procedure exists."""
        cached = self._agencies.get(procedure_code)
        if cached is not None and time.monotonic() - cached[0] < self.cache_s:
            return cached[1]
        url = f"{self.base_url}/v1/procedures/{quote(procedure_code, safe='')}"
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                response = await client.get(url)
        except httpx.HTTPError as error:
            logger.warning("procedure catalogue unreachable", extra={"error": repr(error)})
            raise ServiceUnavailable(
                "Không tra cứu được thủ tục hành chính. Vui lòng thử lại sau."
            ) from error
        if response.status_code == 404:
            agency = None
        elif response.status_code == 200:
            agency = str((response.json().get("agency") or {}).get("code") or "") or None
        else:
            logger.warning("procedure catalogue error", extra={"status": response.status_code})
            raise ServiceUnavailable("Không tra cứu được thủ tục hành chính. Vui lòng thử lại sau.")
        self._agencies[procedure_code] = (time.monotonic(), agency)
        return agency
