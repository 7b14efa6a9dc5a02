"""Modules of the generated package that no spec fact shapes, kept here as Python source.

codegen.generate copies each module of this folder but this one into generated/, under
the do-not-edit header and otherwise byte for byte, so that ruff lints them as the
code we write. They belong to the generated package (``_endpoint`` imports the models
beside it as ``.models``), so they are imported from there, never from here.
"""

__all__: list[str] = []
