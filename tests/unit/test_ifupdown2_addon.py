"""The ifupdown2 addon (ifupdown-hooks/ifupdown2/netguard.py), outside ifupdown2.

The implementations tier runs it under the real ifupdown2; here its
attribute schema is held against netguard's option table (the addon cannot
import it: ifupdown2 imports the addon under the name netguard), and its
reporting is checked with a stand-in hook script.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import types
from pathlib import Path

import pytest

from netguard.catalogue import OPTIONS
from tests.sandbox import CHECKOUT, INSTALLED

# The installed package's addon and opt-in lines under autopkgtest, the checkout's otherwise.
ADDON = (
    Path("/usr/share/ifupdown2/addons/netguard_ifupdown2.py")
    if INSTALLED
    else CHECKOUT / "ifupdown-hooks/ifupdown2/netguard_ifupdown2.py"
)
OPT_IN = (
    Path("/usr/share/netguard/ifupdown2-addons.conf")
    if INSTALLED
    else CHECKOUT / "ifupdown-hooks/ifupdown2/addons.conf"
)


class ModuleBase:  # what the addon uses of ifupdown2's moduleBase
    def __init__(self, *args, **kwargs):
        self.logger = logging.getLogger("ifupdown2-addon-test")


@pytest.fixture(scope="module")
def addon():
    stub = types.ModuleType("ifupdownaddons.modulebase")
    stub.moduleBase = ModuleBase
    flags = types.ModuleType("ifupdown.ifupdownflags")
    flags.flags = types.SimpleNamespace(
        ALL=False
    )  # ifupdown2's: True under `ifup -a` (tests/implementations)
    names = ("ifupdownaddons", "ifupdownaddons.modulebase", "ifupdown", "ifupdown.ifupdownflags")
    saved = {name: sys.modules.get(name) for name in names}
    sys.modules["ifupdownaddons"] = types.ModuleType("ifupdownaddons")
    sys.modules["ifupdownaddons.modulebase"] = stub
    sys.modules["ifupdown"] = types.ModuleType("ifupdown")
    sys.modules["ifupdown"].ifupdownflags = flags
    sys.modules["ifupdown.ifupdownflags"] = flags
    try:
        spec = importlib.util.spec_from_file_location("netguard_ifupdown2_addon", ADDON)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old
    return module


class Iface:
    name, addr_method, addr_family = "eth0", "static", ["inet6"]

    def get_env(self):
        return {"IFACE": "eth0", "IF_WAIT_DAD": "5"}

    def get_attr_value(self, name):
        return {"wait-dad": ["5"]}.get(name)


def test_its_attributes_are_netguards_options(addon):
    assert sorted(addon.netguard_ifupdown2._modinfo["attrs"]) == sorted(option.name for option in OPTIONS)


def test_the_opt_in_names_each_operation_it_runs_a_hook_for(addon):
    lines = OPT_IN.read_text().split()
    assert lines == [f"{operation},netguard_ifupdown2" for operation in addon.netguard.HOOK_DIRS]
    assert set(addon.netguard_ifupdown2().get_ops()) == set(addon.netguard.HOOK_DIRS) | {"query-checkcurr"}


def run(addon, tmp_path, monkeypatch, body: str, operation: str = "up", instance=None):
    script = tmp_path / "netguard"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    instance = instance or addon.netguard_ifupdown2()
    monkeypatch.setattr(addon, "hook_script", lambda operation: str(script))
    instance.run(Iface(), operation)
    return instance


def test_a_failing_hook_raises_its_last_line_and_warns_the_others(addon, tmp_path, monkeypatch, caplog):
    with pytest.raises(Exception, match=r"^netguard: eth0: wait-dad: duplicate$"):
        run(
            addon,
            tmp_path,
            monkeypatch,
            'echo "netguard: eth0: a warning" >&2; echo "netguard: eth0: wait-dad: duplicate" >&2; exit 1',
        )
    assert [r.getMessage() for r in caplog.records] == ["netguard: eth0: a warning"]


def test_a_succeeding_hooks_lines_are_warnings_and_it_sees_ifupdown2s_environment(
    addon, tmp_path, monkeypatch, caplog
):
    run(addon, tmp_path, monkeypatch, 'echo "$PHASE $MODE $IFACE $ADDRFAM $METHOD $IF_WAIT_DAD" >&2')
    assert [r.getMessage() for r in caplog.records] == ["up start eth0 inet6 static 5"]


def test_a_failed_pre_up_skips_up_as_ifupdown_would_stop(addon, tmp_path, monkeypatch, caplog):
    with pytest.raises(Exception, match="bad value"):
        instance = addon.netguard_ifupdown2()
        run(addon, tmp_path, monkeypatch, 'echo "netguard: eth0: bad value" >&2; exit 2', "pre-up", instance)
    run(addon, tmp_path, monkeypatch, 'echo "ran" >&2', "up", instance)
    assert "ran" not in [r.getMessage() for r in caplog.records]
    run(addon, tmp_path, monkeypatch, 'echo "ran" >&2', "down", instance)  # going down always runs
    assert "ran" in [r.getMessage() for r in caplog.records]


# Hostile round 4, class 9: only the stanza's own options reach the hook through the addon.
def test_the_callers_environment_never_reaches_the_hook(addon, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("IF_DAD", "off")
    monkeypatch.setenv("IF_WAIT_DAD", "garbage")
    monkeypatch.setenv("SURPRISE", "1")
    run(addon, tmp_path, monkeypatch, 'echo "dad=[$IF_DAD] wait=[$IF_WAIT_DAD] surprise=[$SURPRISE]" >&2')
    assert [r.getMessage() for r in caplog.records] == ["dad=[] wait=[5] surprise=[]"]


def test_a_value_too_long_for_the_kernel_is_one_line_naming_the_option_and_up_is_skipped(
    addon, tmp_path, monkeypatch, caplog
):
    class Huge(Iface):
        def get_env(self):
            return {"IFACE": "eth0", "IF_REJECT_ASN": "64500 " * 30000}

        def get_attr_value(self, name):
            return {"reject-asn": ["64500 " * 30000]}.get(name)

    instance = addon.netguard_ifupdown2()
    script = tmp_path / "netguard"
    script.write_text('#!/bin/sh\necho "ran" >&2\n')
    script.chmod(0o755)
    monkeypatch.setattr(addon, "hook_script", lambda operation: str(script))
    with pytest.raises(
        Exception, match=r"^netguard: eth0: reject-asn: the value is \d+ characters; the kernel"
    ):
        instance.run(Huge(), "pre-up")
    instance.run(Huge(), "up")
    assert "ran" not in [r.getMessage() for r in caplog.records]
