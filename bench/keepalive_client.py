"""Sends N requests, one after another, on one keep-alive connection, and checks each answer is 200.

    python3 bench/keepalive_client.py HOST PORT N healthz|post

`post` is a 1 KiB float32 octet-stream tensor to /ops/leaky_relu. Used by bench/instructions.sh: a fixed number of
requests, so the server's instructions can be counted per request.
"""
import socket
import struct
import sys

host, port, count, kind = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
connection = socket.create_connection((host, port))
body = struct.pack("<256f", *[(-1.0 if i % 2 == 0 else 1.0) for i in range(256)])
if kind == "healthz":
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
else:
    request = (
        b"POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
        b"X-Tensor-Shape: 256\r\nContent-Length: %d\r\n\r\n" % len(body)
    ) + body
answers = connection.makefile("rb")
for _ in range(count):
    connection.sendall(request)
    status = answers.readline()
    assert b" 200 " in status, status
    length = 0
    while True:
        line = answers.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    answers.read(length)
