"""Which failures are transient (a dependency is briefly away) and which can never succeed.

Event handlers retry a transient failure with backoff for as long as it lasts; HTTP handlers
answer it with 503 and `Retry-After`. Everything else is a defect of the message or the code.
"""

from __future__ import annotations

import asyncio
import socket

import httpx
import urllib3.exceptions
from aiokafka.errors import KafkaError, KafkaTimeoutError
from minio.error import S3Error, ServerError
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError, WaitQueueTimeoutError

from hoso_common.errors import ServiceUnavailable

# S3 error codes that mean "the store is busy or away", not "your request is wrong".
_S3_TRANSIENT_CODES = frozenset(
    {"ServiceUnavailable", "SlowDown", "InternalError", "RequestTimeout", "RequestTimeTooSkewed"}
)
# MongoDB server codes of a node that is stepping down or shutting down.
_MONGO_TRANSIENT_CODES = frozenset({91, 189, 262, 6, 7, 89, 9001, 10107, 11600, 11602, 13435})

_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    ServiceUnavailable,
    KafkaTimeoutError,  # a send that no broker took in time; aiokafka does not flag it
    ConnectionFailure,  # includes AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError
    WaitQueueTimeoutError,
    httpx.TransportError,
    urllib3.exceptions.MaxRetryError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.TimeoutError,
    urllib3.exceptions.NewConnectionError,
    ConnectionError,
    TimeoutError,
    asyncio.TimeoutError,
    socket.gaierror,
)


def _is_transient_one(error: BaseException) -> bool:
    if isinstance(error, _TRANSIENT_TYPES):
        return True
    # A service's own error may say so itself (signing's ProviderError for a CA that is away).
    if getattr(error, "retryable", None) is True:
        return True
    if isinstance(error, KafkaError):
        return bool(getattr(error, "retriable", False))
    if isinstance(error, ServerError):
        return error.status_code >= 500
    if isinstance(error, S3Error):
        return error.code in _S3_TRANSIENT_CODES
    if isinstance(error, OperationFailure):
        return error.code in _MONGO_TRANSIENT_CODES or error.has_error_label("RetryableWriteError")
    if isinstance(error, PyMongoError):
        return error.has_error_label("TransientTransactionError")
    return False


def is_transient(error: BaseException) -> bool:
    """True when `error`, or an error it was raised from, is a dependency being unavailable."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if _is_transient_one(current):
            return True
        seen.add(id(current))
        # Only an explicit `raise ... from`: an error raised while handling another one
        # (its __context__) says nothing about whether this one can succeed.
        current = current.__cause__
    return False
