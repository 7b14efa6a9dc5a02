# generated from spec/openapi.yaml by nox -s generate — do not edit
"""The base of every generated Struct."""

from msgspec import Struct

__all__ = ["Model"]


class Model(Struct, omit_defaults=True):
    """A generated type: encodes without the fields that are at their default."""
