"""decode_json holds the cyclic garbage collector off while a large body decodes, and
never leaves the collector other than the application set it.

A large body decodes into a ``Probe``, whose ``__post_init__`` runs inside the decode,
so inside the pause: it calls the hook registered under the probe's name, which is how a
test acts (or waits for another thread) in the middle of a pause.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
import pytest

from completionkit import _decoding
from completionkit._decoding import decode_json

WAIT = 30.0  # seconds: only ever reached when a test is broken
LARGE = _decoding._PAUSE_GC_FROM
PAUSED = _decoding._PAUSED_THRESHOLD

HOOKS: dict[str, Callable[[], None]] = {}
HOLDING: list[Decoder] = []
"""Every Decoder started: released and joined after each test, even a failed one."""


class Probe(msgspec.Struct):
    name: str
    padding: list[list[int]]

    def __post_init__(self) -> None:
        hook = HOOKS.get(self.name)
        if hook is not None:
            hook()


def body(name: str, size: int = LARGE) -> bytes:
    """A Probe body of at least ``size`` bytes: one small list per 4 bytes ("[0],")."""
    data = msgspec.json.encode({"name": name, "padding": [[0]] * (size // 4 + 1)})
    assert len(data) >= size
    return data


def small_body(name: str) -> bytes:
    data = msgspec.json.encode({"name": name, "padding": [[0]] * 1000})
    assert len(data) < LARGE
    return data


def threshold() -> int:
    return gc.get_threshold()[0]


@pytest.fixture(autouse=True)
def collector() -> Iterator[tuple[int, int, int]]:
    """The collector as the test found it, and put back after it; no pause is left over."""
    enabled = gc.isenabled()
    thresholds = gc.get_threshold()
    HOOKS.clear()
    yield thresholds
    for decoder in HOLDING:
        decoder.release.set()
    for decoder in HOLDING:
        decoder.join(WAIT)
    HOLDING.clear()
    HOOKS.clear()
    gc.set_threshold(*thresholds)
    if enabled:
        gc.enable()
    else:
        gc.disable()
    assert _decoding._gc_pauses == 0
    assert thresholds[0] != PAUSED


def during(name: str, action: Callable[[], None]) -> None:
    HOOKS[name] = action


class Collections:
    """Counts the collector's passes (its ``start`` callbacks) while active."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.count += 1

    def __enter__(self) -> Collections:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


# --- one pause ------------------------------------------------------------------------


def test_a_large_body_decodes_without_a_collection() -> None:
    gc.enable()
    gc.collect()
    with Collections() as passes:
        # Counted when every list is decoded, before the pause ends (the pass that follows
        # it, over what piled up meanwhile, is the collector's due).
        during("quiet", lambda: seen.append(passes.count))
        seen: list[int] = []
        decoded = decode_json(body("quiet"), Probe)
    assert len(decoded.padding) > LARGE // 4
    assert seen == [0]
    # The control: the same lists decoded from bodies under the threshold are collected.
    with Collections() as passes:
        for _ in range(LARGE // len(small_body("loud")) + 1):
            decode_json(small_body("loud"), Probe)
    assert passes.count > 0


@pytest.mark.parametrize("enabled", [True, False])
def test_a_pause_leaves_the_collector_as_it_found_it(enabled: bool, collector: tuple[int, int, int]) -> None:
    gc.enable() if enabled else gc.disable()
    seen: list[tuple[bool, int]] = []
    during("probe", lambda: seen.append((gc.isenabled(), threshold())))
    decode_json(body("probe"), Probe)
    assert seen == [(enabled, PAUSED)]  # the switch tells the truth during the pause
    assert (gc.isenabled(), gc.get_threshold()) == (enabled, collector)


def test_a_small_body_touches_neither_the_lock_nor_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    class Untouchable:
        def __enter__(self) -> None:
            raise AssertionError("a small body took the pause lock")

        def __exit__(self, *exc: object) -> None:
            raise AssertionError("unreachable")

    monkeypatch.setattr(_decoding, "_gc_lock", Untouchable())
    seen: list[int] = []
    during("small", lambda: seen.append(threshold()))
    decode_json(small_body("small"), Probe)
    assert seen == [gc.get_threshold()[0]] != [PAUSED]


def test_the_application_disabling_the_collector_during_a_pause_wins(collector: tuple[int, int, int]) -> None:
    gc.enable()
    during("disable", gc.disable)
    decode_json(body("disable"), Probe)
    assert not gc.isenabled()
    assert gc.get_threshold() == collector


def test_the_application_enabling_the_collector_during_a_pause_wins(collector: tuple[int, int, int]) -> None:
    gc.disable()
    during("enable", gc.enable)
    decode_json(body("enable"), Probe)
    assert gc.isenabled()
    assert gc.get_threshold() == collector


def test_a_threshold_the_application_sets_during_a_pause_stands(collector: tuple[int, int, int]) -> None:
    during("threshold", lambda: gc.set_threshold(1234, 5, 6))
    decode_json(body("threshold"), Probe)
    assert gc.get_threshold() == (1234, 5, 6)


def test_only_the_first_threshold_is_raised(collector: tuple[int, int, int]) -> None:
    gc.set_threshold(collector[0], 17, 19)
    seen: list[tuple[int, int, int]] = []
    during("probe", lambda: seen.append(gc.get_threshold()))
    decode_json(body("probe"), Probe)
    assert seen == [(PAUSED, 17, 19)]
    assert gc.get_threshold() == (collector[0], 17, 19)


def test_a_threshold_of_zero_is_put_back() -> None:
    gc.set_threshold(0)  # CPython's other way to stop automatic collection
    decode_json(body("zero"), Probe)
    assert threshold() == 0


@pytest.mark.parametrize("enabled", [True, False])
def test_an_exception_during_decoding_ends_the_pause(enabled: bool, collector: tuple[int, int, int]) -> None:
    gc.enable() if enabled else gc.disable()

    def fail() -> None:
        raise RuntimeError("the decode broke")

    during("fail", fail)
    with pytest.raises(RuntimeError, match="the decode broke"):
        decode_json(body("fail"), Probe)
    assert (gc.isenabled(), gc.get_threshold()) == (enabled, collector)
    assert _decoding._gc_pauses == 0


def test_an_exception_after_the_application_disabled_the_collector(collector: tuple[int, int, int]) -> None:
    gc.enable()

    def disable_then_fail() -> None:
        gc.disable()
        raise RuntimeError("the decode broke")

    during("fail", disable_then_fail)
    with pytest.raises(RuntimeError):
        decode_json(body("fail"), Probe)
    assert not gc.isenabled()
    assert gc.get_threshold() == collector


def test_a_large_body_of_the_wrong_shape_ends_the_pause(collector: tuple[int, int, int]) -> None:
    wrong = body("wrong").replace(b'"name":"wrong"', b'"name":7')
    with pytest.raises(msgspec.ValidationError):
        decode_json(wrong, Probe)
    assert gc.get_threshold() == collector
    assert _decoding._gc_pauses == 0


# --- pauses from several threads ----------------------------------------------------------


class Decoder(threading.Thread):
    """Decodes a large body in a thread; its pause waits for ``release`` once it has begun."""

    def __init__(self, name: str) -> None:
        super().__init__(name=f"decode-{name}", daemon=True)
        self.probe = name
        self.inside = threading.Event()
        self.release = threading.Event()
        self.error: BaseException | None = None
        self.data = body(name)
        during(name, self._hold)

    def _hold(self) -> None:
        self.inside.set()
        assert self.release.wait(WAIT), "never released"

    def run(self) -> None:
        try:
            decode_json(self.data, Probe)
        except BaseException as error:  # reported by finish()
            self.error = error

    def begin(self) -> Decoder:
        HOLDING.append(self)
        self.start()
        assert self.inside.wait(WAIT), f"{self.name} never began decoding"
        return self

    def finish(self) -> None:
        self.release.set()
        self.join(WAIT)
        assert not self.is_alive()
        if self.error is not None:
            raise self.error


APPLICATION = {
    "nothing": lambda: None,
    "disable": gc.disable,
    "enable": gc.enable,
}


@pytest.mark.parametrize("first_out", ["first in", "last in"])
@pytest.mark.parametrize("before", [True, False], ids=["enabled before", "disabled before"])
@pytest.mark.parametrize("action", list(APPLICATION))
def test_overlapping_pauses_end_as_the_application_left_the_collector(
    first_out: str, before: bool, action: str, collector: tuple[int, int, int]
) -> None:
    gc.enable() if before else gc.disable()
    a = Decoder("a").begin()
    b = Decoder("b").begin()
    assert _decoding._gc_pauses == 2
    APPLICATION[action]()  # the application, from its own thread, while both decode
    leaving, staying = (a, b) if first_out == "first in" else (b, a)
    leaving.finish()
    assert threshold() == PAUSED  # the other decode is still under way
    staying.finish()
    expected = {"nothing": before, "disable": False, "enable": True}[action]
    assert (gc.isenabled(), gc.get_threshold()) == (expected, collector)


def test_a_save_and_restore_of_the_switch_across_a_pause_works() -> None:
    # What timeit does (gc.isenabled, gc.disable, ..., gc.enable), straddling a pause.
    gc.enable()
    decoding = Decoder("straddled").begin()
    was_enabled = gc.isenabled()
    gc.disable()
    decoding.finish()
    assert not gc.isenabled()  # the application's disable outlives the pause
    if was_enabled:
        gc.enable()
    assert gc.isenabled()


def test_many_threads_pausing_at_once_leave_the_collector_as_found(collector: tuple[int, int, int]) -> None:
    gc.enable()
    threads = 8
    for round_ in range(3):
        everyone_inside = threading.Barrier(threads, timeout=WAIT)
        errors: list[BaseException] = []
        names = [f"many-{round_}-{i}" for i in range(threads)]
        for name in names:
            during(name, everyone_inside.wait)
        data = {name: body(name) for name in names}

        workers = [threading.Thread(target=_decode, args=(data[name], errors)) for name in names]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(WAIT)
        assert not any(w.is_alive() for w in workers)
        assert errors == []
        assert (gc.isenabled(), gc.get_threshold()) == (True, collector)
        assert _decoding._gc_pauses == 0


def _decode(data: bytes, errors: list[BaseException]) -> None:
    try:
        decode_json(data, Probe)
    except BaseException as error:
        errors.append(error)
