"""Starting and stopping the server, authentication, HTTP/1.1 behaviour, the record of requests."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx2
import pytest

from completionkit.testing import Fault, LocalServer, Reply

from ..command_line_server import command_line_server
from .conftest import check_response, create, sse_data

RECORDED = sorted((Path(__file__).parent.parent / "fixtures" / "recorded").glob("*.sse"))


def test_url_is_the_v1_base_on_127_0_0_1() -> None:
    with LocalServer() as server:
        assert server.url == f"http://127.0.0.1:{server.port}/v1"
        assert httpx2.get(f"{server.url}/chat/completions").status_code == 200
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.url


def test_stop_closes_the_port() -> None:
    with LocalServer() as server:
        port = server.port
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"http://127.0.0.1:{port}/v1/chat/completions")


def test_paths_of_no_operation_are_unknown(client: httpx2.Client, server: LocalServer) -> None:
    # The API is at the root and under /v1 (test_control.py), nowhere else.
    for path in ("/v2/chat/completions", "/v1/v1/chat/completions", "/v1", "/"):
        response = httpx2.get(f"{server.root_url}{path}")
        check_response(response)
        assert response.status_code == 404
    assert client.put("/chat/completions").status_code == 405


class TestApiKey:
    @pytest.fixture
    def secured(self) -> LocalServer:
        return LocalServer(api_key="sk-local-secret")

    def test_missing_or_wrong_key_gets_401(self, secured: LocalServer) -> None:
        with secured, httpx2.Client(base_url=secured.url) as client:
            missing = create(client)
            wrong = client.get("/chat/completions", headers={"Authorization": "Bearer sk-wrong"})
            right = client.get("/chat/completions", headers={"Authorization": "Bearer sk-local-secret"})
        for response in (missing, wrong):
            check_response(response)
            assert response.status_code == 401
        assert missing.json()["error"]["code"] == "missing_api_key"
        assert wrong.json()["error"]["code"] == "invalid_api_key"
        assert right.status_code == 200

    def test_the_key_is_never_shown(self, secured: LocalServer) -> None:
        with (
            secured,
            httpx2.Client(base_url=secured.url, headers={"Authorization": "Bearer sk-wrong-but-secret"}) as c,
        ):
            body = c.get("/chat/completions").text
            recorded = secured.last_request
            assert "sk-local-secret" not in repr(secured)
        assert "sk-wrong-but-secret" not in body
        assert recorded.headers["authorization"] == "[redacted]"
        assert "sk-wrong-but-secret" not in repr(recorded)


def test_requests_are_recorded(server: LocalServer, client: httpx2.Client) -> None:
    create(client, "hi", temperature=0.5)
    client.get("/chat/completions", params={"limit": 3, "metadata[topic]": "x"}, headers={"X-Trace": "t1"})
    first, second = server.requests
    assert (first.method, first.path, first.operation_id) == (
        "POST",
        "/v1/chat/completions",
        "createChatCompletion",
    )
    assert first.body == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.5,
    }
    assert second.operation_id == "listChatCompletions"
    assert second.query == (("limit", "3"), ("metadata[topic]", "x"))
    assert second.params["metadata[topic]"] == "x"
    assert second.headers["x-trace"] == "t1"
    assert second.body is None
    server.clear_requests()
    assert server.requests == []


def test_keep_alive_serves_two_requests_on_one_connection(server: LocalServer) -> None:
    request = f"GET /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        answers = []
        for _ in range(2):
            sock.sendall(request)
            data = b""
            while b"\r\n\r\n" not in data:
                data += sock.recv(65536)
            head, _, rest = data.partition(b"\r\n\r\n")
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            while len(rest) < length:
                rest += sock.recv(65536)
            answers.append(head.split(b"\r\n")[0])
    assert answers == [b"HTTP/1.1 200 OK", b"HTTP/1.1 200 OK"]


def test_200_concurrent_connections_from_an_async_client(server: LocalServer) -> None:
    # Every request is held until all 200 are being served at once: no timing involved.
    server.inject(Fault.gathering(200), times=200)

    async def run() -> list[int]:
        limits = httpx2.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx2.AsyncClient(base_url=server.url, limits=limits, timeout=60) as client:
            body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
            responses = await asyncio.gather(
                *(client.post("/chat/completions", json=body) for _ in range(200))
            )
            return [r.status_code for r in responses]

    assert asyncio.run(run()) == [200] * 200
    assert server.max_in_flight >= 200


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.name)
def test_recorded_streams_replay_byte_for_byte(
    server: LocalServer, client: httpx2.Client, path: Path
) -> None:
    recorded = path.read_bytes()
    server.replay([recorded])
    response = create(client, stream=True)
    assert response.content == recorded
    assert sse_data(response.content)[-1] == b"[DONE]"


def test_replay_takes_the_place_of_one_reply(server: LocalServer, client: httpx2.Client) -> None:
    server.replay([RECORDED[0].read_bytes()])
    server.queue(Reply.text("after"))
    create(client, stream=True)
    assert create(client).json()["choices"][0]["message"]["content"] == "after"


def test_command_line_server(tmp_path: Path) -> None:
    with (
        command_line_server("--api-key", "sk-cli", "--db", str(tmp_path / "cli.sqlite")) as url,
        httpx2.Client(base_url=url, headers={"Authorization": "Bearer sk-cli"}) as client,
    ):
        created = create(client, store=True)
        check_response(created)
        assert client.get(f"/chat/completions/{created.json()['id']}").status_code == 200
