"""The package's public surface: one sorted __all__, every name importable, modules private."""

from __future__ import annotations

import importlib
import pkgutil

import completionkit


def test_all_is_sorted_and_complete() -> None:
    assert completionkit.__all__ == sorted(completionkit.__all__)
    for name in completionkit.__all__:
        assert hasattr(completionkit, name), name


def test_the_only_public_module_is_testing() -> None:
    public = [m.name for m in pkgutil.iter_modules(completionkit.__path__) if not m.name.startswith("_")]
    assert public == ["testing"]


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
        if module.name.startswith("completionkit._generated") and not module.name.endswith("endpoints"):
            continue  # datamodel-codegen writes no __all__; its module is imported by name only
        assert isinstance(getattr(loaded, "__all__", None), list), module.name
