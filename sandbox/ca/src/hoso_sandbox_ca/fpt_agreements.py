"""FPT.eSign signer agreements: which citizen each relying party's agreementUUID stands for."""

from __future__ import annotations

import json
from pathlib import Path

from hoso_sandbox_ca.pki.files import write_atomically


class AgreementRegistry:
    """Kept on disk next to the citizens, so a restarted sandbox still knows its signers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._owners: dict[str, str] = {}
        if path.exists():
            self._owners = {str(k): str(v) for k, v in json.loads(path.read_bytes()).items()}

    def owner(self, agreement_uuid: str) -> str | None:
        return self._owners.get(agreement_uuid)

    def register(self, agreement_uuid: str, user_id: str) -> bool:
        """True when new; False when it exists (for this citizen or, refused, for another)."""
        if agreement_uuid in self._owners:
            return False
        self._owners[agreement_uuid] = user_id
        write_atomically(self.path, json.dumps(self._owners).encode())
        return True
