"""What one local server holds between requests (``ServerState``): its store, the replies
and faults queued for the next requests, its rate limits, the provider it plays, the
requests in flight, and the requests it has received (``RecordedRequest``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import secrets
import threading
import urllib.parse
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Literal

from .._providers import ProviderProfile
from ._cassette import CassettePlayer
from ._faults import Fault
from ._http import Json, Scope, decoded_body, query_pairs
from ._limits import Limiter, RateLimits
from ._model import Reply, charged_tokens, default_reply
from ._profiles import Emulation
from ._store import Store

__all__ = ["RecordedRequest", "ServerState", "recorded_request"]

REDACTED = "[redacted]"


@dataclasses.dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it; the authorization header is redacted."""

    method: str
    """The HTTP method: ``GET``, ``POST`` or ``DELETE``."""
    path: str
    """The URL path, ``/v1/chat/completions`` for instance."""
    query: tuple[tuple[str, str], ...]
    """The query parameters as sent, in order, a repeated name as many times."""
    headers: Mapping[str, str]
    """The request headers, by lower-case name; ``authorization`` redacted."""
    body: Json
    """The decoded JSON body, the raw bytes when it is not JSON, None when empty."""
    operation_id: str | None
    """The operation the request was routed to (``createChatCompletion``, or
    ``listModels`` for ``GET /v1/models``); None for a path the API does not have."""

    @property
    def params(self) -> dict[str, str]:
        """The query as a dict (the last value of a repeated name wins)."""
        return dict(self.query)


def recorded_request(
    scope: Scope,
    path: str,
    headers: dict[str, str],
    body: bytes,
    operation_id: str | None,
) -> RecordedRequest:
    """The record of one request, its secret headers redacted."""
    decoded = decoded_body(body)
    shown = {k: (REDACTED if k in ("authorization", "api-key") else v) for k, v in headers.items()}
    query = tuple(query_pairs(scope))
    return RecordedRequest(
        scope["method"],
        urllib.parse.unquote(path),
        query,
        shown,
        decoded,
        operation_id,
    )


@dataclasses.dataclass
class _Pending:
    """An injected fault, the operation it is kept for (None: any), and how many more
    requests it is to meet."""

    fault: Fault
    operation_id: str | None
    times: int


class ServerState:
    """Everything one server holds: nothing here is shared between two servers."""

    def __init__(
        self,
        *,
        api_key: str | None,
        db: str | None,
        rate_limits: RateLimits | None = None,
        profile: ProviderProfile | None = None,
        control: bool = True,
    ) -> None:
        self.api_key = api_key
        # Whether the control routes (/_completionkit/, _control.py) answer.
        self.control = control
        self.store = Store(db)
        self._lock = threading.Lock()
        # None: the server of spec/; else the provider it plays.
        self.emulation = Emulation(profile) if profile is not None else None
        self.rate_limits: RateLimits | None = None
        # None when no limit is set: a create then checks this once and goes on.
        self.limiter: Limiter | None = None
        # What reset() puts back: the limits the server was made with.
        self._made_with_limits = rate_limits
        self.set_rate_limits(rate_limits)
        # Each reply with the kind of create request it is for (None: any).
        self._replies: deque[tuple[Reply, Literal["stream", "plain"] | None]] = deque()
        self._faults: list[_Pending] = []
        self._requests: list[RecordedRequest] = []
        self._ids = itertools.count(1)
        self.in_flight = 0
        self.max_in_flight = 0
        # Requests gathering (Fault.gather) wait on these futures, woken by a new record
        # of max_in_flight.  Only the server's loop touches the counts: no lock.
        self._gathering: list[asyncio.Future[None]] = []
        self._stopping: asyncio.Event | None = None
        # None: the server answers; else the recorded answers of this cassette do.
        self.cassette: CassettePlayer | None = None
        self._made_with_cassette: CassettePlayer | None = None

    def enter(self) -> None:
        self.in_flight += 1
        if self.in_flight > self.max_in_flight:
            self.max_in_flight = self.in_flight
            if self._gathering:
                waiters, self._gathering = self._gathering, []
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)

    def leave(self) -> None:
        self.in_flight -= 1

    @property
    def stopping(self) -> asyncio.Event:
        """Set when the server begins to shut down: waiting requests give up at once."""
        if self._stopping is None:
            self._stopping = asyncio.Event()  # on the server's own loop
        return self._stopping

    def begin_shutdown(self) -> None:
        """Called on the server's loop when it begins to shut down."""
        self.stopping.set()

    async def gather(self, count: int) -> None:
        while self.max_in_flight < count:
            waiter = asyncio.get_running_loop().create_future()
            self._gathering.append(waiter)
            await waiter

    def queue(self, replies: Iterable[Reply], only: Literal["stream", "plain"] | None = None) -> None:
        with self._lock:
            self._replies.extend((reply, only) for reply in replies)

    def _fitting(self, request: Json) -> int | None:
        """The index of the first queued reply for ``request``'s kind (streamed or plain)."""
        kind = "stream" if request.get("stream") else "plain"
        for index, (_, only) in enumerate(self._replies):
            if only is None or only == kind:
                return index
        return None

    def next_reply(self, request: Json) -> Reply:
        with self._lock:
            index = self._fitting(request)
            reply = None
            if index is not None:
                reply = self._replies[index][0]
                del self._replies[index]
        return self._played(request, reply if reply is not None else default_reply(request))

    def queued_replies(self) -> int:
        with self._lock:
            return len(self._replies)

    def clear_replies(self) -> int:
        """Forget the queued replies; how many there were."""
        with self._lock:
            count = len(self._replies)
            self._replies.clear()
        return count

    def _played(self, request: Json, reply: Reply) -> Reply:
        return reply if self.emulation is None else self.emulation.reply(request, reply)

    def set_rate_limits(self, limits: RateLimits | None) -> None:
        """Keep these limits from now on, with full buckets (None: no limits, or the
        default limits of a provider that always sends its rate-limit headers)."""
        emulation = self.emulation
        if emulation is not None and (limits is None or not limits.any):
            limits = emulation.default_limits
        style = "openai" if emulation is None else emulation.profile.rate_limit_headers
        with self._lock:
            self.rate_limits = limits
            self.limiter = Limiter(limits, headers=style) if limits is not None and limits.any else None

    def admit(self, request: Json, limiter: Limiter) -> tuple[Reply, dict[str, str]]:
        """The next reply and the ``x-ratelimit-*`` headers of its answer, once ``limiter``
        has charged the request for it; ``LimitExceededError`` leaves the reply queued."""
        with self._lock:
            # The answer's tokens are charged before it is sent, so the reply is known
            # first; a refused request must leave it for the next one.
            index = self._fitting(request)
            queued = self._replies[index][0] if index is not None else None
            reply = self._played(request, queued if queued is not None else default_reply(request))
            headers = limiter.charge(charged_tokens(request, reply), str(request["model"]))
            if index is not None:
                del self._replies[index]
        return reply, headers

    def inject(self, fault: Fault, times: int, operation_id: str | None) -> None:
        with self._lock:
            self._faults.append(_Pending(fault, operation_id, times))

    def take_fault(self, operation_id: str | None) -> Fault | None:
        with self._lock:
            for index, pending in enumerate(self._faults):
                if pending.operation_id is None or pending.operation_id == operation_id:
                    pending.times -= 1
                    if not pending.times:
                        del self._faults[index]
                    return pending.fault
        return None

    def pending_faults(self) -> int:
        """How many requests the injected faults have yet to meet."""
        with self._lock:
            return sum(pending.times for pending in self._faults)

    def clear_faults(self) -> int:
        """Forget the pending faults; how many requests they had yet to meet."""
        with self._lock:
            count = sum(pending.times for pending in self._faults)
            self._faults.clear()
        return count

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> int:
        """Forget the recorded requests; how many there were."""
        with self._lock:
            count = len(self._requests)
            self._requests.clear()
        return count

    def reset(self) -> None:
        """Back to the state of a server just started, but for its settings (key, profile,
        store's file): no completion stored, no reply or fault queued, no request
        recorded, ``max_in_flight`` 0, the rate limits it was made with, buckets full, the
        cassette it was made with (if any) from its first interaction, and no other.
        Safe while requests are served: each part changes under its own lock."""
        with self._lock:
            self._replies.clear()
            self._faults.clear()
            self._requests.clear()
            # Else only the server's loop writes it (enter()): an int's store is atomic,
            # and a request entering as this runs is counted again by the next one.
            self.max_in_flight = 0
        self.set_rate_limits(self._made_with_limits)
        self.store.clear()
        cassette = self.cassette = self._made_with_cassette
        if cassette is not None:
            cassette.rewind()

    def use_cassette(self, cassette: CassettePlayer | None, *, setting: bool = False) -> None:
        """Answer with the recorded answers of ``cassette`` (None: the server answers).
        ``setting``: the server is made with it, and ``reset`` keeps it; a cassette played
        later is a test's, which ``reset`` forgets as it forgets queued replies."""
        self.cassette = cassette
        if setting:
            self._made_with_cassette = cassette

    def request_id(self) -> str:
        return f"req_{next(self._ids):08d}{secrets.token_hex(8)}"
