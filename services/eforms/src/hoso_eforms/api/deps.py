"""FastAPI dependencies of the eforms API."""

from typing import Annotated

from fastapi import Depends

from hoso_common.app import use_case_dependency
from hoso_eforms.service import EformsService

ServiceDep = Annotated[EformsService, Depends(use_case_dependency(EformsService))]
