"""What netguard's ifupdown2 addon needs of the package, so the addon holds no copy of it.

The addon (ifupdown-hooks/ifupdown2/netguard_ifupdown2.py) runs inside
ifupdown2's process and imports this module: its attributes (`_modinfo`)
come from the option declarations, the hook environment passes every line
of a list option (ifupdown2 exports only the first), and `ifquery --check`
is answered by each feature's own planner.
"""

from __future__ import annotations

from netguard.catalogue import all_options, features
from netguard.context import HOOK_NAMES
from netguard.options import parse_option

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

# ifupdown2 operation -> the hook directory ifupdown would have run for it.
HOOK_DIRS = {
    operation: f"{directory}/{HOOK_NAMES[directory]}"
    for operation, directory in (
        ("pre-up", "if-pre-up.d"), ("up", "if-up.d"), ("down", "if-down.d"), ("post-down", "if-post-down.d")
    )
}  # fmt: skip
SEE = "see netguard-interfaces(5)"


def modinfo() -> dict:
    """ifupdown2's `_modinfo`: each option's help, example and, for a closed set of words, validvals."""
    attrs: dict[str, dict] = {}
    for option in all_options():
        attr: dict = {
            "help": f"{option.help} Accepted: {option.accepted}; {SEE}",
            "example": [option.example],
        }
        if option.words:
            attr["validvals"] = list(option.words)
        attrs[option.name] = attr
    return {
        "mhelp": "IPv6 at boot: DAD control, waiting for usable addresses, unreachable routes per AS",
        "attrs": attrs,
    }


def hook_environment(get_attr_value: Callable[[str], list[str] | None]) -> dict[str, str]:
    """Every line of every netguard option, newline-joined as ifupdown 0.8 exports repeats.

    ifupdown2 exports only an option's first line to scripts; its iface
    object keeps them all (`get_attr_value`)."""
    env: dict[str, str] = {}
    for option in all_options():
        lines = get_attr_value(option.name)
        if lines:
            env[option.env_name] = "\n".join(lines)
    return env


def check(iface: str, get_attr_value: Callable[[str], list[str] | None]) -> list[tuple[str, str, bool]]:
    """`ifquery --check`: (option, value as written, holds) for each option a feature can judge.

    A value that does not parse does not hold."""
    from netguard.catalogue import parse_options
    from netguard.errors import OptionError

    written = hook_environment(get_attr_value)
    try:
        options: Mapping = parse_options(written, iface)
    except OptionError as err:
        return [(err.option, " ".join(get_attr_value(err.option) or [""]), False)]
    results = []
    for feature in features():
        if feature.holds is None or not any(o.env_name in written for o in feature.options):
            continue
        for name, holds in feature.holds(iface, options).items():
            results.append((name, " ".join(get_attr_value(name) or []), holds))
    return results


def syntax_errors(iface: str, get_attr_value: Callable[[str], list[str] | None]) -> list[str]:
    """`ifquery --syntax-check`: one line per value netguard's own parser refuses."""
    from netguard.errors import OptionError

    errors = []
    for option in all_options():
        lines = get_attr_value(option.name)
        if lines:
            try:
                parse_option(option, "\n".join(lines), iface)
            except OptionError as err:
                errors.append(err.line())
    return errors
