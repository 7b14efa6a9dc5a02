"""The package's public surface: one sorted __all__, every name importable, modules private."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import completionkit


def test_all_is_sorted_and_complete() -> None:
    assert completionkit.__all__ == sorted(completionkit.__all__)
    for name in completionkit.__all__:
        assert hasattr(completionkit, name), name


def test_the_public_modules_are_bulk_testing_and_types() -> None:
    public = [m.name for m in pkgutil.iter_modules(completionkit.__path__) if not m.name.startswith("_")]
    assert sorted(public) == ["bulk", "testing", "types"]


def test_bulk_exports_one_sorted_all() -> None:
    import completionkit.bulk

    assert completionkit.bulk.__all__ == sorted(completionkit.bulk.__all__)
    for name in completionkit.bulk.__all__:
        assert hasattr(completionkit.bulk, name), name


def test_types_exports_every_model_and_request_typeddict() -> None:
    import ast

    import completionkit.types
    from codegen.generate import scalar_aliases
    from completionkit._generated import models, params

    names = completionkit.types.__all__
    assert names == sorted(names)
    # Every class and alias the models define but the aliases of a scalar, and every type
    # params.py defines.
    tree = ast.parse(Path(models.__file__).read_text("utf-8"))
    defined = {n.name for n in tree.body if isinstance(n, ast.ClassDef)} | {
        n.target.id for n in tree.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
    }
    scalars = scalar_aliases(tree)
    assert {"CreateChatCompletionRequestN", "ModelResponsePropertiesTopP"} <= scalars
    types_of_params = set(params.__all__) - {"CREATE_CHAT_COMPLETION_KEYWORD_EXCLUSIONS"}
    assert set(names) == (defined - scalars) | types_of_params
    # A twin's name is its model's and `Param`, never twice.
    assert not [name for name in names if name.endswith("ParamParam")]
    for name in names:
        assert getattr(completionkit.types, name) is getattr(models, name, getattr(params, name, None)), name
    assert {"ChatCompletionToolParam", "ChatCompletionMessageParam"} <= set(names)
    # The generated types the package's top level exports are all there too.
    generated = {n for n in completionkit.__all__ if hasattr(models, n) or hasattr(params, n)}
    assert generated <= set(names)


def test_testing_exports_one_sorted_all() -> None:
    import completionkit.testing

    assert completionkit.testing.__all__ == sorted(completionkit.testing.__all__)
    for name in completionkit.testing.__all__:
        assert hasattr(completionkit.testing, name), name


def test_every_private_module_declares_all() -> None:
    for module in pkgutil.walk_packages(completionkit.__path__, "completionkit."):
        if module.name.endswith("__main__"):
            continue
        loaded = importlib.import_module(module.name)
        if module.name == "completionkit._generated.models":
            continue  # datamodel-codegen writes no __all__; completionkit.types lists its names
        assert isinstance(getattr(loaded, "__all__", None), list), module.name
