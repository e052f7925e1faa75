"""Readiness probes: a TCP connect, an HTTP status, a Kafka and a MongoDB-wire handshake."""

# This module probes http://127.0.0.1 URLs the stack builds itself.
# ruff: noqa: S310

from __future__ import annotations

import socket
import struct
import urllib.error
import urllib.request

from .settings import HOST


def tcp_open(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """HTTP status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError):
        return None


def kafka_answers(port: int) -> bool:
    """True once the broker answers an ApiVersions request without error."""
    client_id = b"hoso-stack"
    body = struct.pack(">hhih", 18, 0, 1, len(client_id)) + client_id
    try:
        with socket.create_connection((HOST, port), timeout=2.0) as sock:
            sock.sendall(struct.pack(">i", len(body)) + body)
            header = sock.recv(10)
    except OSError:
        return False
    if len(header) < 10:
        return False
    correlation_id, error_code = struct.unpack(">ih", header[4:])
    return bool(correlation_id == 1 and error_code == 0)


def mongo_answers(port: int) -> bool:
    """True once a MongoDB-wire server answers `hello` with ok: 1."""
    fields = b"\x10hello\x00" + struct.pack("<i", 1) + b"\x02$db\x00" + struct.pack("<i", 6)
    document = struct.pack("<i", 4 + len(fields) + 6 + 1) + fields + b"admin\x00\x00"
    body = struct.pack("<i", 0) + b"\x00" + document  # flags, section kind 0, the command
    message = struct.pack("<iiii", 16 + len(body), 1, 0, 2013) + body
    try:
        with socket.create_connection((HOST, port), timeout=2.0) as sock:
            sock.sendall(message)
            reply = sock.recv(65536)
    except OSError:
        return False
    return b"\x01ok\x00" + struct.pack("<d", 1.0) in reply


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False
