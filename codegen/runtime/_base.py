"""The base of every generated Struct."""

from msgspec import Struct

__all__ = ["Model"]


class Model(Struct, omit_defaults=True, gc=False):
    """A generated type: encodes without the fields that are at their default.

    ``gc=False``: decoded JSON cannot hold reference cycles, so the garbage collector
    need not track the thousands of Structs a large answer (logprobs) decodes into;
    tracking them made decoding several times slower.
    """
