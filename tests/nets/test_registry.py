"""The ``NET_CLASSES`` allowlist: complete, explicit, and every entry tested through ``NetTesterMixin``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import zoo.nets
from zoo.nets import NET_CLASSES, ZooNet

from .common import NetTesterMixin


def subclasses(cls: type) -> set[type]:
    direct = set(cls.__subclasses__())
    return direct.union(*(subclasses(child) for child in direct))


def net_classes_under_test() -> set[type]:
    """``net_class`` of every ``NetTesterMixin`` test class in this test package."""
    package = importlib.import_module(__package__)
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("test_"):
            importlib.import_module(f"{__package__}.{module.name}")
    return {tester.net_class for tester in subclasses(NetTesterMixin) if hasattr(tester, "net_class")}


def defined_net_classes() -> set[type]:
    """Every ``ZooNet`` subclass defined in a module of ``zoo.nets``."""
    found = set()
    for module_info in pkgutil.iter_modules(zoo.nets.__path__):
        module = importlib.import_module(f"zoo.nets.{module_info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, ZooNet) and obj is not ZooNet and obj.__module__ == module.__name__:
                found.add(obj)
    return found


def test_every_net_class_is_tested_with_the_mixin() -> None:
    untested = set(NET_CLASSES.values()) - net_classes_under_test()
    assert not untested, f"add a NetTesterMixin test class for: {sorted(c.__name__ for c in untested)}"


def test_every_defined_net_is_in_the_allowlist() -> None:
    missing = defined_net_classes() - set(NET_CLASSES.values())
    assert not missing, f"add to NET_CLASSES in zoo/nets/__init__.py: {sorted(c.__name__ for c in missing)}"


def test_allowlist_keys_are_class_names_and_exported() -> None:
    for name, cls in NET_CLASSES.items():
        assert name == cls.__name__
        assert issubclass(cls, ZooNet)
        assert getattr(zoo.nets, name) is cls
        assert name in zoo.nets.__all__
