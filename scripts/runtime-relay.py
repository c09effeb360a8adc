"""A relay between a Lambda function and `cargo lambda watch`'s runtime API.

cargo-lambda 1.9.2 answers a function's POST .../invocation/{id}/response at once
and reads its body later, in another task (runtime/functions_router.rs,
respond_to_next_invocation). When a large answer (a bill page is 184 KB) is still
being written as that early acknowledgement arrives, the function's HTTP client
drops the connection, the rest of the body is lost and the emulator answers the
caller with a bare 500 of its own. Upstream should collect the body before it
answers (or answer only once the body is read). Until then this relay reads each
request whole from the function before passing it on, so the function has sent
everything before any answer can reach it, and the relay keeps the emulator's
connection open until the emulator has read all of it.

    python3 scripts/runtime-relay.py UPSTREAM_HOST:PORT
prints the port it listens on (127.0.0.1) as its first line.
"""

import asyncio
import sys


async def read_request(reader):
    """One HTTP/1.1 request, head and body, as bytes; None at the end of the stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = b""
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            body += size_line + chunk
            if size == 0:
                return head + body
    return head + await reader.readexactly(int(headers.get(b"content-length", b"0")))


async def relay(reader, writer, upstream):
    host, port = upstream.rsplit(":", 1)
    up_reader, up_writer = await asyncio.open_connection(host, int(port))

    async def answers():
        while data := await up_reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    answering = asyncio.create_task(answers())
    try:
        while (request := await read_request(reader)) is not None:
            up_writer.write(request)
            await up_writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        up_writer.write_eof() if up_writer.can_write_eof() else None
        await asyncio.gather(answering, return_exceptions=True)
        up_writer.close()


async def main(upstream):
    server = await asyncio.start_server(lambda r, w: relay(r, w, upstream), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
