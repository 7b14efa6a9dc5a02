"""``python -m completionkit.testing``: serve the local OpenAI-compatible server until interrupted."""

from __future__ import annotations

import argparse

from ._app import App, ServerState
from ._server import ServingServer, server_config


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m completionkit.testing",
        description="An OpenAI-compatible chat-completions server with a deterministic model.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to listen on (default: 8080; 0 picks a free one)"
    )
    parser.add_argument("--api-key", help="require this key as `Authorization: Bearer KEY`")
    parser.add_argument("--db", help="SQLite file for stored completions (default: in memory)")
    args = parser.parse_args(argv)
    state = ServerState(api_key=args.api_key, db=args.db)

    def announce(port: int) -> None:
        print(f"completionkit local server listening on http://{args.host}:{port}/v1", flush=True)

    try:
        ServingServer(server_config(App(state), host=args.host, port=args.port), on_ready=announce).run()
    finally:
        state.store.close()


if __name__ == "__main__":
    main()
