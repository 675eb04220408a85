"""A feature is one declaration: a module in netguard/features/ and nothing else.

A throwaway feature, written by this test into a directory of its own and
added to the package's search path, is validated, run in its phase under
its policy, listed by `netguard options` and accepted by the ifupdown2
addon's attributes, without another file of netguard knowing its name.
"""

from __future__ import annotations

import contextlib
import io
import types
from pathlib import Path

import pytest

import netguard.catalogue
import netguard.features
import netguard.options
from netguard import hook, ifupdown2
from netguard.catalogue import OPTIONS, OPTIONS_BY_NAME, parse_options
from netguard.config import Config
from netguard.context import context_from_env as _from_env
from netguard.errors import OptionError
from netguard.hookrun import HookRun
from netguard.options import PHASES
from tests.sandbox import CHECKOUT, INSTALLED


def context_from_env(env, script_path=""):
    """The hook's context, with the options the catalogue parses (as hook.py builds it)."""
    from netguard.catalogue import parse_options

    return _from_env(env, script_path, parse_options)


ADDON = (
    Path("/usr/share/ifupdown2/addons/netguard_ifupdown2.py")
    if INSTALLED
    else CHECKOUT / "ifupdown-hooks/ifupdown2/netguard_ifupdown2.py"
)

THROWAWAY = """
from netguard.errors import NetguardError, WARN
from netguard.features import Feature, Step
from netguard.options import INET6, POST_UP, BadValue, Option


ran = []


def parse_knob(value):
    if value.lower() not in ("left", "right"):
        raise BadValue("accepted: left, right")
    return value.lower()


def turn(run):
    ran.append((run.iface, run.ctx.options["throwaway-knob"]))
    raise NetguardError("the knob came off; glue it back", run.iface, "throwaway-knob")


FEATURE = Feature(
    rank=99,
    options=(Option("throwaway-knob", parse_knob, None, "left, right", "Turns a knob.",
                    "throwaway-knob left", family=INET6, words=("left", "right")),),
    steps=(Step("throwaway-knob", POST_UP, 25, WARN, "turns the knob",
                lambda run: run.ctx.options.get("throwaway-knob") is not None, turn),),
)
"""


@pytest.fixture
def throwaway(tmp_path, monkeypatch):
    (tmp_path / "throwaway.py").write_text(THROWAWAY)
    monkeypatch.setattr(netguard.features, "__path__", [*netguard.features.__path__, str(tmp_path)])
    netguard.catalogue.forget()
    yield __import__("netguard.features.throwaway", fromlist=["ran"])
    netguard.catalogue.forget()
    import sys

    sys.modules.pop("netguard.features.throwaway", None)


ENV = {"IFACE": "eth0", "ADDRFAM": "inet6", "METHOD": "static", "PHASE": "post-up"}


def test_a_throwaway_feature_is_validated_run_listed_and_accepted_by_the_addon(throwaway, tmp_path):
    declared = (
        netguard.catalogue.OPTIONS_BY_NAME
    )  # asked now: the names imported above were the snapshot before
    assert declared["throwaway-knob"].env_name == "IF_THROWAWAY_KNOB"
    with pytest.raises(OptionError) as refused:
        parse_options({"IF_THROWAWAY_KNOB": "up"}, "eth0")
    assert refused.value.line() == "netguard: eth0: throwaway-knob: bad value 'up'; accepted: left, right"

    # Run in its phase, after wait-dad (20) and before reject-asn (30), under its policy: a warning.
    ctx = context_from_env({**ENV, "IF_THROWAWAY_KNOB": "Left"}, "")
    run = HookRun(ctx, Config(state_dir=str(tmp_path / "state")))
    said = io.StringIO()
    with contextlib.redirect_stderr(said):
        hook.run_phase(run)
    assert throwaway.ran == [("eth0", "left")]
    assert said.getvalue() == "netguard: eth0: throwaway-knob: warning: the knob came off; glue it back\n"
    assert [s.order for s in netguard.catalogue.steps_of("post-up") if not s.meta] == [5, 10, 20, 25, 30]
    with contextlib.redirect_stderr(io.StringIO()):  # not in pre-up: its step is post-up's
        hook.run_phase(HookRun(ctx._replace(phase="pre-up"), run.config))
    assert len(throwaway.ran) == 1

    from netguard.cli import main

    listed = io.StringIO()
    with contextlib.redirect_stdout(listed):
        main(["options", "--steps"])
    assert "throwaway-knob\tleft, right\tthrowaway-knob left\tpost-up\n" in listed.getvalue()
    assert "post-up\t25\tthrowaway-knob\twarn\tturns the knob\n" in listed.getvalue()

    attrs = ifupdown2.modinfo()["attrs"]
    assert attrs["throwaway-knob"]["validvals"] == ["left", "right"]
    assert attrs["throwaway-knob"]["example"] == ["throwaway-knob left"]


def test_the_throwaway_is_gone_once_its_module_is():
    assert "throwaway-knob" not in netguard.catalogue.OPTIONS_BY_NAME
    assert len(OPTIONS) == len({o.name for o in OPTIONS})


def test_hook_names_no_feature():
    source = Path(hook.__file__).read_text()
    for option in OPTIONS:
        assert option.name not in source, option.name
    for module in ("dad", "waitdad", "reject"):
        assert f"features.{module}" not in source and f" {module}." not in source


def test_every_step_of_every_phase_is_declared_with_its_function():
    for phase in PHASES:
        for step in netguard.catalogue.steps_of(phase):
            assert step.option in OPTIONS_BY_NAME
            assert callable(step.applies) and callable(step.run)
            assert isinstance(step, netguard.features.Step) and step.does


def test_options_say_family_requirement_and_repetition():
    assert OPTIONS_BY_NAME["reject-asn-probe"].requires == "reject-asn"
    assert OPTIONS_BY_NAME["wait-dad-failure"].requires == "wait-dad"
    assert OPTIONS_BY_NAME["reject-asn"].multi and not OPTIONS_BY_NAME["dad"].multi
    assert OPTIONS_BY_NAME["dad"].family == "inet6"


def test_the_addon_passes_every_line_of_a_list_option():
    lines = {"reject-asn": ["174", "3356 AS64500"], "wait-dad": ["5"]}
    env = ifupdown2.hook_environment(lines.get)
    assert env == {"IF_REJECT_ASN": "174\n3356 AS64500", "IF_WAIT_DAD": "5"}
    assert parse_options(env, "eth0")["reject-asn"] == (174, 3356, 64500)


def test_the_addon_holds_no_copy_of_the_package():
    """Its former copies: the dad words, /proc readers, IFA_F_* flags, the attribute table."""
    source = ADDON.read_text()
    for copy in ("/proc/", "if_inet6", "accept_dad", "0x40", "0x08", '"off"', '"attrs"', "help"):
        assert copy not in source, copy
    assert types.ModuleType  # the addon imports the package: see test_ifupdown2_addon.py
