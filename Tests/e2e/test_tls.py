"""HTTPS through OpenSSL, with a self-signed certificate made here by the openssl command."""
import socket
import ssl
import subprocess
import time

import pytest
import requests

from conftest import BINARY, start_server


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def tls_server(certificate):
    cert, key = certificate
    server = start_server("--tls-cert", str(cert), "--tls-key", str(key), "--read-timeout", "2")
    assert server.url.startswith("https://")
    yield server
    assert server.stop() == 0


def test_curl_over_https(tls_server, certificate):
    cert, _ = certificate
    for version in (["--tlsv1.2", "--tls-max", "1.2"], ["--tlsv1.3"]):
        result = subprocess.run(["curl", "-s", "--cacert", str(cert), *version, "-H", "Content-Type: application/json",
                                 "-d", '{"data": [-1, 2]}', f"https://localhost:{tls_server.port}/ops/leaky_relu"],
                                capture_output=True, text=True, timeout=30)
        assert result.stdout == '{"dtype":"float32","shape":[2],"data":[-0.01,2.0]}'


def test_requests_over_https_with_a_large_body(tls_server, certificate):
    cert, _ = certificate
    body = b"\x00\x00\x80\xbf" * (1 << 20)
    response = requests.post(f"https://localhost:{tls_server.port}/ops/leaky_relu", data=body, verify=str(cert),
                             headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 200 and len(response.content) == len(body)


def test_alpn_prefers_h2_and_falls_back_to_http11(tls_server):
    for offered, chosen in ((["h2", "http/1.1"], "h2"), (["http/1.1"], "http/1.1")):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_alpn_protocols(offered)
        with socket.create_connection(("127.0.0.1", tls_server.port)) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                assert tls.selected_alpn_protocol() == chosen
                assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_http2_and_grpc_over_tls(tls_server, certificate):
    import numpy as np
    import tritonclient.grpc as grpcclient
    cert, _ = certificate
    result = subprocess.run(["curl", "-s", "-i", "--http2", "--cacert", str(cert), f"https://localhost:{tls_server.port}/healthz"],
                            capture_output=True, text=True, timeout=30)
    assert result.stdout.startswith("HTTP/2 200"), result.stdout
    client = grpcclient.InferenceServerClient(f"localhost:{tls_server.port}", ssl=True, root_certificates=str(cert))
    tensor = grpcclient.InferInput("input", [2], "FP32")
    tensor.set_data_from_numpy(np.array([-1.0, 2.0], dtype=np.float32))
    assert client.infer("leaky_relu", [tensor]).as_numpy("output").tolist() == [np.float32(-0.01), 2.0]


def test_old_protocols_are_refused(tls_server):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection(("127.0.0.1", tls_server.port)) as raw:
        with pytest.raises(ssl.SSLError):
            context.wrap_socket(raw, server_hostname="localhost")


def closed_within(connection, seconds):
    connection.settimeout(seconds)
    try:
        while connection.recv(4096):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def test_plain_http_to_the_tls_port_is_closed(tls_server, certificate):
    with socket.create_connection(("127.0.0.1", tls_server.port)) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert closed_within(connection, 5)
    cert, _ = certificate
    assert requests.get(f"https://localhost:{tls_server.port}/healthz", verify=str(cert)).status_code == 200


def test_half_handshakes_and_vanishing_clients(tls_server, certificate):
    # A ClientHello cut in half, then silence: closed at the read timeout (2 s here), never blocking others.
    stalled = socket.create_connection(("127.0.0.1", tls_server.port))
    stalled.sendall(bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]))
    cert, _ = certificate
    started = time.monotonic()
    assert requests.get(f"https://localhost:{tls_server.port}/healthz", verify=str(cert)).status_code == 200
    assert time.monotonic() - started < 2, "a stalled handshake does not hold up another client"
    assert closed_within(stalled, 10)
    stalled.close()
    # Clients that vanish mid-handshake.
    for _ in range(20):
        vanishing = socket.create_connection(("127.0.0.1", tls_server.port))
        vanishing.sendall(bytes([0x16, 0x03, 0x01, 0x00, 0x40]))
        vanishing.close()
    assert requests.get(f"https://localhost:{tls_server.port}/healthz", verify=str(cert)).status_code == 200


def test_tls_flags_go_together():
    from conftest import BINARY
    result = subprocess.run([BINARY, "--tls-cert", "/nonexistent.pem"], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "--tls-key" in result.stderr
    result = subprocess.run([BINARY, "--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.pem"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "certificate" in result.stderr


def test_healthcheck_probes_https(tls_server, server):
    def probe(url):
        return subprocess.run([BINARY, "healthcheck", "--url", url], capture_output=True, text=True, timeout=10)

    assert probe(f"https://127.0.0.1:{tls_server.port}/healthz").returncode == 0
    plain_to_tls = probe(f"http://127.0.0.1:{tls_server.port}/healthz")
    assert plain_to_tls.returncode == 1 and "unhealthy" in plain_to_tls.stderr
    tls_to_plain = probe(f"https://127.0.0.1:{server.port}/healthz")
    assert tls_to_plain.returncode == 1 and "TLS handshake failed" in tls_to_plain.stderr
    missing = probe(f"https://127.0.0.1:{tls_server.port}/nowhere")
    assert missing.returncode == 1 and "status 404" in missing.stderr
