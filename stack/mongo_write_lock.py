"""A MongoDB wire-protocol proxy that runs write commands one at a time.

FerretDB 1.24 evaluates the filter of `findAndModify`, `update` and `delete` and then writes
in a separate step, so two concurrent conditional updates of one document can both
succeed (measured on both its SQLite and PostgreSQL backends). MongoDB applies them
atomically per document, and the services rely on that. Serialising write commands in
front of FerretDB restores that guarantee for the local stack; reads pass straight through.
Production runs real MongoDB and needs none of this.

Usage: python3 mongo_write_lock.py LISTEN_HOST:PORT UPSTREAM_HOST:PORT
"""

from __future__ import annotations

import asyncio
import logging
import struct
import sys

OP_MSG = 2013
MORE_TO_COME = 1 << 1
WRITE_COMMANDS = frozenset(
    {
        "insert",
        "update",
        "delete",
        "findandmodify",
        "create",
        "drop",
        "createindexes",
        "dropindexes",
        "dropdatabase",
        "renamecollection",
    }
)

logger = logging.getLogger("mongo-write-lock")
write_lock = asyncio.Lock()


async def read_message(reader: asyncio.StreamReader) -> bytes:
    header = await reader.readexactly(4)
    (length,) = struct.unpack("<i", header)
    return header + await reader.readexactly(length - 4)


def command_name(message: bytes) -> str | None:
    """The first key of an OP_MSG body section, lower-cased; None for other messages."""
    if struct.unpack_from("<i", message, 12)[0] != OP_MSG:
        return None
    offset = 20  # header (16) + flagBits (4)
    while offset < len(message):
        kind = message[offset]
        offset += 1
        size = struct.unpack_from("<i", message, offset)[0]
        if kind == 0:
            name_start = offset + 5  # document length (4) + element type (1)
            name_end = message.index(b"\x00", name_start)
            return message[name_start:name_end].decode("utf-8", "replace").lower()
        offset += size
    return None


def more_to_come(message: bytes) -> bool:
    opcode = struct.unpack_from("<i", message, 12)[0]
    return opcode == OP_MSG and bool(struct.unpack_from("<I", message, 16)[0] & MORE_TO_COME)


async def relay_reply(upstream: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
    while True:
        reply = await read_message(upstream)
        client.write(reply)
        await client.drain()
        if not more_to_come(reply):
            return


async def serve_client(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    upstream_host: str,
    upstream_port: int,
) -> None:
    try:
        up_reader, up_writer = await asyncio.open_connection(upstream_host, upstream_port)
    except OSError as error:
        logger.error("upstream unavailable: %s", error)
        client_writer.close()
        return
    try:
        while True:
            request = await read_message(client_reader)
            expects_reply = not more_to_come(request)
            if command_name(request) in WRITE_COMMANDS:
                async with write_lock:
                    up_writer.write(request)
                    await up_writer.drain()
                    if expects_reply:
                        await relay_reply(up_reader, client_writer)
            else:
                up_writer.write(request)
                await up_writer.drain()
                if expects_reply:
                    await relay_reply(up_reader, client_writer)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        up_writer.close()
        client_writer.close()


async def main(listen: str, upstream: str) -> None:
    listen_host, listen_port = listen.rsplit(":", 1)
    upstream_host, upstream_port = upstream.rsplit(":", 1)
    server = await asyncio.start_server(
        lambda r, w: serve_client(r, w, upstream_host, int(upstream_port)),
        listen_host,
        int(listen_port),
    )
    logger.info("listening on %s, forwarding to %s", listen, upstream)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(main(sys.argv[1], sys.argv[2]))
