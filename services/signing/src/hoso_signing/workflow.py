"""The signing use cases, one module each: intake, answers, finishing and background work.

`SigningWorkflow` is the one use-case object the runtime builds; it is the sum of the modules
in `hoso_signing.usecases`, which share their collaborators through `WorkflowBase`.
"""

from __future__ import annotations

from hoso_signing.usecases.background import Background
from hoso_signing.usecases.base import AnswerResult, CertificateCache, PreparedCache
from hoso_signing.usecases.intake import Intake

__all__ = ["AnswerResult", "CertificateCache", "PreparedCache", "SigningWorkflow"]


class SigningWorkflow(Intake, Background):
    """Accept, prepare and ask; record answers and poll; finish; sweep."""
