"""Hostile HTTP/2 peers, written frame by frame with the h2 library: each gets the right GOAWAY, reset or status,
and the next client is served. Plus a differential check of our protobuf decoder against Python's protobuf: random
ModelInferRequests built with tritonclient's own generated classes, each answered field by field as built."""
import socket
import struct
import time

import grpc
import h2.config
import h2.connection
import h2.events
import h2.settings
import numpy as np
import pytest
from tritonclient.grpc import service_pb2, service_pb2_grpc

from conftest import start_server
from reference import bfloat16_leaky_relu_bits, leaky_relu


@pytest.fixture(scope="module")
def h2_server():
    server = start_server("--workers", "2", "--max-body-bytes", str(64 << 20))
    yield server
    assert server.stop() == 0


class Peer:
    """One raw HTTP/2 client connection."""

    def __init__(self, port, **settings):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=10)
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8", validate_outbound_headers=False,
                                           normalize_outbound_headers=False, validate_inbound_headers=False)
        self.connection = h2.connection.H2Connection(config=config)
        self.connection.initiate_connection()
        self.flush()

    def flush(self):
        data = self.connection.data_to_send()
        if data:
            self.socket.sendall(data)

    def events(self, until, seconds=10):
        """Reads events until `until(event)` holds for one; returns them all. Stops at the end of the stream."""
        seen = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                data = self.socket.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not data:
                break
            for event in self.connection.receive_data(data):
                seen.append(event)
                if until(event):
                    self.flush()
                    return seen
            self.flush()
        return seen

    def close(self):
        self.socket.close()


def request_headers(path, method="GET", extra=()):
    return [(":method", method), (":path", path), (":scheme", "http"), (":authority", "localhost"), *extra]


def served(server):
    """A fresh client is answered: /healthz over h2c."""
    peer = Peer(server.port)
    peer.connection.send_headers(1, request_headers("/healthz"), end_stream=True)
    peer.flush()
    events = peer.events(lambda event: isinstance(event, h2.events.StreamEnded))
    peer.close()
    statuses = [dict(event.headers).get(":status") for event in events if isinstance(event, h2.events.ResponseReceived)]
    return statuses == ["200"]


def test_a_rapid_reset_storm_is_cut_off_and_the_next_client_served(h2_server):
    peer = Peer(h2_server.port)
    for stream in range(1, 20001, 2):
        peer.connection.send_headers(stream, request_headers("/healthz"), end_stream=True)
        peer.connection.reset_stream(stream)
        if stream % 201 == 0:
            try:
                peer.flush()
            except (BrokenPipeError, ConnectionResetError):
                break
    try:
        peer.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass
    events = peer.events(lambda event: isinstance(event, h2.events.ConnectionTerminated), seconds=20)
    peer.close()
    terminated = [event for event in events if isinstance(event, h2.events.ConnectionTerminated)]
    # libnghttp2's rapid-reset limit (CVE-2023-44487: a burst of 1,000, then 33 a second) ends the session with
    # GOAWAY INTERNAL_ERROR long before the 10,000th stream.
    assert terminated and terminated[0].error_code in (2, 11) and terminated[0].last_stream_id < 19999, events[-3:]
    assert served(h2_server)


def test_oversized_headers_are_431_and_a_header_bomb_is_reset(h2_server):
    peer = Peer(h2_server.port)
    peer.connection.send_headers(1, request_headers("/healthz", extra=[("x-big", "a" * 20000)]), end_stream=True)
    peer.flush()
    events = peer.events(lambda event: isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)))
    statuses = [dict(event.headers).get(":status") for event in events if isinstance(event, h2.events.ResponseReceived)]
    assert statuses == ["431"], events
    many = [(f"x-{index}", "b" * 1000) for index in range(300)]
    peer.connection.send_headers(3, request_headers("/healthz", extra=many), end_stream=True)
    peer.flush()
    events = peer.events(lambda event: isinstance(event, (h2.events.StreamReset, h2.events.ConnectionTerminated)))
    assert any(isinstance(event, (h2.events.StreamReset, h2.events.ConnectionTerminated)) for event in events), events
    peer.close()
    assert served(h2_server)


def test_keepalive_pings_at_grpcs_rates_are_answered_not_punished(h2_server):
    peer = Peer(h2_server.port)
    acknowledged = 0
    for index in range(50):
        peer.connection.ping(struct.pack(">Q", index))
        peer.flush()
        events = peer.events(lambda event: isinstance(event, h2.events.PingAckReceived), seconds=5)
        assert not any(isinstance(event, h2.events.ConnectionTerminated) for event in events)
        acknowledged += sum(isinstance(event, h2.events.PingAckReceived) for event in events)
        time.sleep(0.01)
    assert acknowledged == 50
    peer.connection.send_headers(1, request_headers("/healthz"), end_stream=True)
    peer.flush()
    assert any(isinstance(event, h2.events.StreamEnded) for event in peer.events(lambda e: isinstance(e, h2.events.StreamEnded)))
    peer.close()


def test_a_settings_flood_ends_the_connection_and_the_next_client_is_served(h2_server):
    peer = Peer(h2_server.port)
    for _ in range(5000):
        peer.connection.update_settings({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 100})
    try:
        peer.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass
    peer.events(lambda event: isinstance(event, h2.events.ConnectionTerminated), seconds=10)
    peer.close()
    assert served(h2_server)


def grpc_call(peer, stream, method, payload, declared=None):
    headers = request_headers(f"/inference.GRPCInferenceService/{method}", "POST",
                              [("content-type", "application/grpc"), ("te", "trailers")])
    peer.connection.send_headers(stream, headers)
    length = len(payload) if declared is None else declared
    peer.connection.send_data(stream, b"\0" + struct.pack(">I", length) + payload, end_stream=True)
    peer.flush()
    events = peer.events(lambda event: isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)))
    trailers = {}
    for event in events:
        if isinstance(event, (h2.events.TrailersReceived, h2.events.ResponseReceived)):
            trailers.update(dict(event.headers))
    return trailers


def test_a_message_claiming_2_gib_and_an_undecodable_one(h2_server):
    peer = Peer(h2_server.port)
    claimed = grpc_call(peer, 1, "ModelInfer", b"", declared=(2 << 30) - 1)
    assert claimed.get("grpc-status") == "8" and "max-body-bytes" in claimed.get("grpc-message", ""), claimed
    garbage = grpc_call(peer, 3, "ModelInfer", b"\x0a\xff\xff\xff\x0f\x00")
    assert garbage.get("grpc-status") == "3", garbage
    peer.close()
    assert served(h2_server)


def reference_bytes(datatype, raw, slope):
    if datatype == "BF16":
        return bfloat16_leaky_relu_bits(np.frombuffer(raw, dtype=np.uint16), slope).astype(np.uint16).tobytes()
    dtype = {"FP16": np.float16, "FP32": np.float32, "FP64": np.float64}[datatype]
    name = {"FP16": "float16", "FP32": "float32", "FP64": "float64"}[datatype]
    return np.asarray(leaky_relu(np.frombuffer(raw, dtype=dtype), slope, name), dtype=dtype).tobytes()


def test_thousands_of_random_requests_built_by_pythons_protobuf_are_read_field_by_field(h2_server):
    rng = np.random.default_rng(20261207)
    itemsize = {"FP16": 2, "BF16": 2, "FP32": 4, "FP64": 8}
    with grpc.insecure_channel(f"127.0.0.1:{h2_server.port}") as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        for index in range(2000):
            datatype = rng.choice(list(itemsize))
            shape = [int(size) for size in rng.integers(0, 5, size=int(rng.integers(0, 4)))]
            count = int(np.prod(shape)) if shape else 1
            raw = rng.integers(0, 256, size=count * itemsize[datatype], dtype=np.uint8).tobytes()
            request = service_pb2.ModelInferRequest(model_name="leaky_relu", model_version=rng.choice(["", "1"]),
                                                    id="".join(chr(int(c)) for c in rng.integers(32, 0x3000, size=int(rng.integers(0, 12)))))
            slope = 0.01
            choice = rng.integers(0, 3)
            if choice == 1:
                slope = float(rng.standard_normal())
                request.parameters["negative_slope"].double_param = slope
            elif choice == 2:
                slope = float(rng.integers(-3, 4))
                request.parameters["negative_slope"].int64_param = int(slope)
            if rng.integers(0, 2):
                request.parameters["sequence_id"].uint64_param = int(rng.integers(0, 1000))
            tensor = request.inputs.add(name="input", datatype=str(datatype), shape=shape)
            if datatype in ("FP32", "FP64") and rng.integers(0, 2):
                values = np.frombuffer(raw, dtype=np.float32 if datatype == "FP32" else np.float64)
                (tensor.contents.fp32_contents if datatype == "FP32" else tensor.contents.fp64_contents).extend(values.tolist())
                raw = values.tobytes()
            else:
                request.raw_input_contents.append(raw)
            if rng.integers(0, 2):
                request.outputs.add(name="output")
            response = stub.ModelInfer(request)
            assert response.model_name == "leaky_relu" and response.id == request.id, index
            assert response.outputs[0].name == "output" and response.outputs[0].datatype == datatype
            assert list(response.outputs[0].shape) == shape, (index, shape, response.outputs[0].shape)
            expected = reference_bytes(str(datatype), raw, slope)
            got = response.raw_output_contents[0]
            if datatype in ("FP16", "FP32", "FP64"):
                dtype = {"FP16": np.float16, "FP32": np.float32, "FP64": np.float64}[str(datatype)]
                a, b = np.frombuffer(got, dtype=dtype), np.frombuffer(expected, dtype=dtype)
                assert np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a), np.signbit(b)), index
            else:
                a, b = np.frombuffer(got, dtype=np.uint16), np.frombuffer(expected, dtype=np.uint16)
                nan = ((a & 0x7F80) == 0x7F80) & ((a & 0x7F) != 0)
                assert np.array_equal(a[~nan], b[~nan]) and np.array_equal(nan, ((b & 0x7F80) == 0x7F80) & ((b & 0x7F) != 0)), index


def test_answers_are_compressed_as_the_request_was_when_the_client_accepts_it(h2_server):
    import gzip
    values = np.linspace(-4, 4, 4096, dtype=np.float32)
    request = service_pb2.ModelInferRequest(model_name="leaky_relu", id="z")
    request.inputs.add(name="input", datatype="FP32", shape=[values.size])
    request.raw_input_contents.append(values.tobytes())
    body = gzip.compress(request.SerializeToString())
    for accepted, expect_compressed in (("identity,deflate,gzip", True), ("identity", False)):
        peer = Peer(h2_server.port)
        headers = request_headers("/inference.GRPCInferenceService/ModelInfer", "POST",
                                  [("content-type", "application/grpc"), ("te", "trailers"), ("grpc-encoding", "gzip"),
                                   ("grpc-accept-encoding", accepted)])
        peer.connection.send_headers(1, headers)
        peer.connection.send_data(1, b"\1" + struct.pack(">I", len(body)) + body, end_stream=True)
        peer.flush()
        events = peer.events(lambda event: isinstance(event, h2.events.StreamEnded))
        peer.close()
        response_headers = next(dict(event.headers) for event in events if isinstance(event, h2.events.ResponseReceived))
        data = b"".join(event.data for event in events if isinstance(event, h2.events.DataReceived))
        trailers = next(dict(event.headers) for event in events if isinstance(event, h2.events.TrailersReceived))
        assert trailers["grpc-status"] == "0"
        flag, length = data[0], struct.unpack(">I", data[1:5])[0]
        assert flag == (1 if expect_compressed else 0) and len(data) == 5 + length
        assert (response_headers.get("grpc-encoding") == "gzip") == expect_compressed
        message = gzip.decompress(data[5:]) if expect_compressed else data[5:]
        response = service_pb2.ModelInferResponse.FromString(message)
        expected = np.asarray(leaky_relu(values, 0.01, "float32"), dtype=np.float32)
        assert response.id == "z" and response.raw_output_contents[0] == expected.tobytes()


def test_a_stream_that_stops_sending_is_answered_after_the_read_timeout_and_an_idle_call_is_not():
    """Slowloris per stream: a REST body or a gRPC message that stops arriving is answered (408, DEADLINE_EXCEEDED)
    once --read-timeout passes, then reset with NO_ERROR; a streaming call idle between messages is left alone."""
    server = start_server("--read-timeout", "0.5")
    try:
        peer = Peer(server.port)
        grpc_headers = [("content-type", "application/grpc"), ("te", "trailers")]
        # A call idle between messages (ModelStreamInfer with nothing sent yet): not a stalled read.
        peer.connection.send_headers(1, request_headers("/inference.GRPCInferenceService/ModelStreamInfer", "POST", grpc_headers))
        # A message whose length prefix claims 100 bytes, of which 5 come.
        peer.connection.send_headers(3, request_headers("/inference.GRPCInferenceService/ModelInfer", "POST", grpc_headers))
        peer.connection.send_data(3, b"\0" + struct.pack(">I", 100) + b"\x0a\x0aleaky")
        # A REST body that stops after 10 of 100 bytes.
        peer.connection.send_headers(5, request_headers("/ops/leaky_relu", "POST",
                                                        [("content-type", "application/json"), ("content-length", "100")]))
        peer.connection.send_data(5, b'{"data": [')
        peer.flush()
        resets, answers, trailers = {}, {}, {}

        def record(event):
            if isinstance(event, h2.events.StreamReset):
                resets[event.stream_id] = event.error_code
            elif isinstance(event, h2.events.ResponseReceived):
                answers[event.stream_id] = dict(event.headers)
            elif isinstance(event, h2.events.TrailersReceived):
                trailers[event.stream_id] = dict(event.headers)
            elif isinstance(event, h2.events.DataReceived):
                answers[f"body{event.stream_id}"] = answers.get(f"body{event.stream_id}", b"") + event.data
            return len(resets) == 2

        peer.events(record, seconds=10)
        assert resets == {3: 0, 5: 0}, resets
        call = {**answers.get(3, {}), **trailers.get(3, {})}
        assert call.get("grpc-status") == "4" and "read timeout" in call.get("grpc-message", ""), call
        assert answers[5][":status"] == "408" and b'"status":408' in answers["body5"], answers
        assert 1 not in resets and 1 not in answers, "the idle streaming call is still open"

        # The idle call still works: one message, then the client ends it.
        request = service_pb2.ModelInferRequest(model_name="leaky_relu", id="after-idle")
        request.inputs.add(name="input", datatype="FP32", shape=[2])
        request.raw_input_contents.append(np.array([-2, 2], dtype=np.float32).tobytes())
        message = request.SerializeToString()
        peer.connection.send_data(1, b"\0" + struct.pack(">I", len(message)) + message, end_stream=True)
        peer.flush()
        streamed = b""
        for event in peer.events(lambda event: isinstance(event, h2.events.StreamEnded) and event.stream_id == 1):
            if isinstance(event, h2.events.DataReceived) and event.stream_id == 1:
                streamed += event.data
            if isinstance(event, h2.events.TrailersReceived) and event.stream_id == 1:
                assert dict(event.headers).get("grpc-status") == "0", event.headers
        # A call that idled past the read timeout (its timer fired and found nothing to do), then began a message
        # and stalled: that message still gets its own read timeout.
        peer.connection.send_headers(7, request_headers("/inference.GRPCInferenceService/ModelStreamInfer", "POST", grpc_headers))
        peer.flush()
        time.sleep(0.8)
        peer.connection.send_data(7, b"\0" + struct.pack(">I", 100) + b"\x0a\x0aleaky")
        peer.flush()
        late = {}

        def late_call(event):
            if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)) and event.stream_id == 7:
                late.update(dict(event.headers))
            return isinstance(event, h2.events.StreamReset) and event.stream_id == 7

        peer.events(late_call, seconds=10)
        assert late.get("grpc-status") == "4", late
        response = service_pb2.ModelStreamInferResponse.FromString(streamed[5:])
        assert response.infer_response.id == "after-idle"
        sent = np.array([-2, 2], dtype=np.float32)
        assert np.frombuffer(response.infer_response.raw_output_contents[0], np.float32).tobytes() == \
            leaky_relu(sent, 0.01, "float32").tobytes()
        peer.close()
        assert served(server)
    finally:
        assert server.stop() == 0
