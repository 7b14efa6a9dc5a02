"""``python -m completionkit.testing``: serve the local OpenAI-compatible server until interrupted."""

from __future__ import annotations

import argparse

from .._providers import BUILTIN_PROFILES
from ._app import App
from ._cassette import CassettePlayer
from ._limits import RateLimits
from ._profiles import resolve_profile
from ._server import ServingServer, server_config
from ._state import ServerState


def _per_minute(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"a positive integer is needed, not {text!r}")
    return value


def main(argv: list[str] | None = None, *, prog: str = "python -m completionkit.testing") -> None:
    """Parse ``argv`` (else the command line's) and serve until interrupted; ``prog`` names
    the command in the help and the errors (``completionkit serve`` runs this too)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="An OpenAI-compatible chat-completions server with a deterministic model.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help=(
            "address to listen on (default: 127.0.0.1, this machine only); another address "
            "exposes the control routes (/_completionkit/: reset, queue replies and faults, "
            "read the requests) to whoever reaches it, unless --no-control"
        ),
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port to listen on (default: 8080; 0 picks a free one)"
    )
    parser.add_argument(
        "--api-key",
        help="require this key as `Authorization: Bearer KEY` (as `api-key: KEY` under --profile azure)",
    )
    parser.add_argument(
        "--profile",
        choices=sorted(BUILTIN_PROFILES),
        metavar="NAME",
        help=f"answer as this provider does: {', '.join(sorted(BUILTIN_PROFILES))} (default: as spec/ says)",
    )
    parser.add_argument("--db", help="SQLite file for stored completions (default: in memory)")
    parser.add_argument(
        "--requests-per-minute",
        type=_per_minute,
        metavar="N",
        help="answer 429 past N create requests a minute (default: no limit)",
    )
    parser.add_argument(
        "--tokens-per-minute",
        type=_per_minute,
        metavar="N",
        help="answer 429 past N tokens a minute of create requests (default: no limit)",
    )
    parser.add_argument(
        "--cassette",
        metavar="FILE",
        help="answer with the recorded answers of this cassette (a file that testing.Cassette recorded)",
    )
    parser.add_argument(
        "--no-control",
        dest="control",
        action="store_false",
        help=(
            "turn off the control routes under /_completionkit/ (by which a test in another "
            "process drives the server: completionkit.testing.ServerControl)"
        ),
    )
    args = parser.parse_args(argv)
    cassette: CassettePlayer | None = None
    if args.cassette is not None:
        try:
            cassette = CassettePlayer(args.cassette)
        except (OSError, ValueError) as error:  # CassetteError is a ValueError, naming the line
            parser.error(f"--cassette: {error}")
    limits = RateLimits(
        requests_per_minute=args.requests_per_minute, tokens_per_minute=args.tokens_per_minute
    )
    profile = resolve_profile(args.profile)
    state = ServerState(
        api_key=args.api_key, db=args.db, rate_limits=limits, profile=profile, control=args.control
    )
    state.use_cassette(cassette, setting=True)

    def announce(port: int) -> None:
        # The URL stays the line's last word: scripts read it there.
        played = f" (as {profile.name})" if profile is not None else ""
        print(f"completionkit local server{played} listening on http://{args.host}:{port}/v1", flush=True)

    try:
        ServingServer(server_config(App(state), host=args.host, port=args.port), on_ready=announce).run()
    finally:
        state.store.close()


if __name__ == "__main__":
    main()
