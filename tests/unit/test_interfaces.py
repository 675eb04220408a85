"""The interfaces reader gives each stanza the IF_* environment each implementation gives its hooks."""

from __future__ import annotations

import sys

from netguard.interfaces import IFUPDOWN, IFUPDOWN2, IFUPDOWN_NG, detect_rules, env_key, read_interfaces
from tests.conftest import require


def stanzas(tmp_path, text: str):
    path = tmp_path / "interfaces"
    path.write_text(text)
    return {s.iface: s for s in read_interfaces(str(path))}


def test_names_fold_like_ifupdown():
    assert env_key("Wait-Dad") == "IF_WAIT_DAD"
    assert env_key("wait_dad") == "IF_WAIT_DAD"
    assert env_key("REJECT-ASN") == "IF_REJECT_ASN"
    assert env_key("wait.dad") == "IF_WAITDAD"  # other characters are dropped


def test_repeats_join_and_the_later_spelling_wins(tmp_path):
    found = stanzas(
        tmp_path,
        "iface eth0 inet6 manual\n    reject-asn 174\n    reject-asn 3356\n    Wait-Dad 7\n    wait_dad 9\n",
    )
    env = found["eth0"].env()
    assert env["IF_REJECT_ASN"] == "174\n3356"
    assert env["IF_WAIT_DAD"] == "9"
    spellings = found["eth0"].spellings()
    assert [line.name for line in spellings["wait-dad"]] == ["Wait-Dad", "wait_dad"]
    assert {line.name for line in found["eth0"].netguard_options()} == {"reject-asn", "wait-dad"}


def test_inherits_brings_the_templates_options_first(tmp_path):
    found = stanzas(
        tmp_path,
        "iface base inet6 manual\n    reject-asn 174\n    wait-dad 5\n\n"
        "iface eth0 inet6 static inherits base\n    address 2001:db8::1/64\n    wait-dad 8\n",
    )
    eth0 = found["eth0"]
    assert (eth0.family, eth0.method) == ("inet6", "static")
    assert eth0.env()["IF_REJECT_ASN"] == "174"
    assert eth0.env()["IF_WAIT_DAD"] == "5\n8"  # one spelling, repeated: joined, as ifupdown does


def test_ifupdown2_family_less_stanzas_and_no_scripts_end_a_stanza(tmp_path):
    found = stanzas(
        tmp_path,
        "iface swp30\n    reject-asn 174\nno-scripts swp30\n    wait-dad 5\niface lo inet\n    dad off\n",
    )
    assert found["swp30"].env() == {"IF_REJECT_ASN": "174"}
    assert (found["swp30"].family, found["lo"].family, found["lo"].method) == ("", "inet", "")


def test_only_newlines_end_lines(tmp_path):
    found = stanzas(
        tmp_path,
        "# a form feed \f and a U+2028 \u2028 stay in this comment\niface eth0 inet6 manual\n    wait-dad 5\n",
    )
    assert found["eth0"].line == 2
    assert found["eth0"].env() == {"IF_WAIT_DAD": "5"}


def test_source_directory_with_a_wildcard(tmp_path):
    for part in ("a.d", "b.d"):
        (tmp_path / part).mkdir()
    (tmp_path / "a.d" / "eth0").write_text("iface eth0 inet6 manual\n    wait-dad 5\n")
    (tmp_path / "b.d" / "eth1").write_text("iface eth1 inet6 manual\n    dad off\n")
    (tmp_path / "interfaces").write_text("source-directory *.d\n")
    assert sorted(s.iface for s in read_interfaces(str(tmp_path / "interfaces"))) == ["eth0", "eth1"]


# What each implementation exported to a hook for this file, measured with a
# hook that dumped its environment (ifupdown 0.8.41, ifupdown2 3.0.0 read from
# its parser, ifupdown-ng 0.12.1 under real ifup); tests/corpus holds the
# real files and ifquery to this standard.
SPELLINGS = """\
iface eth0 inet static
    address 192.0.2.1/24
    Wait-Dad 7
iface eth0 inet6 static
    address 2001:db8::1/64
    wait_dad 9
    reject-asn 1
    reject-asn 2
    wait-dad 3
iface tmpl inet6 manual
    dad off
iface eth1 inet6 static inherits tmpl
    address 2001:db8:1::1/64
"""
ASKED = ("IF_WAIT_DAD", "IF_REJECT_ASN", "IF_DAD")


def exported(
    tmp_path, rules: str, text: str = SPELLINGS, notes: list | None = None
) -> list[tuple[str, str, dict]]:
    path = tmp_path / "interfaces"
    path.write_text(text)
    path.chmod(0o644)  # whatever the umask: ifupdown2's rules render only a file others cannot write
    return [
        (s.iface, s.family, {k: v for k, v in s.env().items() if k in ASKED})
        for s in read_interfaces(str(path), rules, notes)
    ]


def test_ifupdown_exports_per_stanza_joined_repeats_and_the_later_spelling(tmp_path):
    assert exported(tmp_path, IFUPDOWN) == [
        ("eth0", "inet", {"IF_WAIT_DAD": "7"}),
        ("eth0", "inet6", {"IF_WAIT_DAD": "3", "IF_REJECT_ASN": "1\n2"}),
        ("tmpl", "inet6", {"IF_DAD": "off"}),
        ("eth1", "inet6", {"IF_DAD": "off"}),
    ]


def test_ifupdown2_reads_underscore_as_hyphen_exports_the_first_value_and_has_no_inherits(tmp_path):
    assert exported(tmp_path, IFUPDOWN2) == [
        ("eth0", "inet", {"IF_WAIT_DAD": "7"}),
        ("eth0", "inet6", {"IF_WAIT_DAD": "9", "IF_REJECT_ASN": "1"}),
        ("tmpl", "inet6", {"IF_DAD": "off"}),
        ("eth1", "inet6", {}),
    ]


def test_ifupdown_ng_merges_an_interfaces_stanzas_and_the_last_value_wins(tmp_path):
    assert exported(tmp_path, IFUPDOWN_NG) == [
        ("eth0", "", {"IF_WAIT_DAD": "3", "IF_REJECT_ASN": "2"}),
        ("tmpl", "", {"IF_DAD": "off"}),
        ("eth1", "", {"IF_DAD": "off"}),
    ]


def test_ifupdown2_substitutes_iface_and_names_an_alias_by_its_interface(tmp_path):
    (tmp_path / "interfaces").write_text("iface eth0:1 inet6 static\n    up echo $IFACE\n")
    (stanza,) = read_interfaces(str(tmp_path / "interfaces"), IFUPDOWN2)
    assert (stanza.iface, stanza.env()["IF_UP"]) == ("eth0", "echo eth0")


def require_mako() -> None:
    try:
        import mako  # noqa: F401
    except ImportError:
        require("python3-mako not installed (make deps installs it)")


TEMPLATE = """\
%for v in [10, 20]:
auto vlan${v}
iface vlan${v} inet6 manual
    wait-dad ${v // 10}
%endfor
"""


def test_ifupdown2_renders_mako_templates(tmp_path):
    require_mako()
    assert exported(tmp_path, IFUPDOWN2, TEMPLATE) == [
        ("vlan10", "inet6", {"IF_WAIT_DAD": "1"}),
        ("vlan20", "inet6", {"IF_WAIT_DAD": "2"}),
    ]


def test_without_mako_a_template_is_named_not_rendered(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "mako", None)  # import mako fails, as without python3-mako
    monkeypatch.setitem(sys.modules, "mako.template", None)
    notes: list = []
    exported(tmp_path, IFUPDOWN2, TEMPLATE, notes)
    assert [t.path for t in notes] == [str(tmp_path / "interfaces")]


def test_a_template_that_does_not_render_is_named_and_read_as_written(tmp_path):
    require_mako()
    notes: list = []
    assert exported(
        tmp_path, IFUPDOWN2, "%for v in [1:\niface a inet6 manual\n    dad off\n%endfor\n", notes
    ) == [("a", "inet6", {"IF_DAD": "off"})]
    (problem,) = notes
    assert "mako template does not render (" in problem.message and "read it as written" in problem.message


def test_the_installed_implementation_is_detected(tmp_path):
    (tmp_path / "usr/sbin").mkdir(parents=True)
    (tmp_path / "usr/share/ifupdown2").mkdir(parents=True)
    (tmp_path / "var/lib/dpkg/info").mkdir(parents=True)
    info = tmp_path / "var/lib/dpkg/info"
    (info / "ifupdown.list").write_text("")
    assert detect_rules(str(tmp_path)) == IFUPDOWN
    (info / "ifupdown.list").unlink()
    (info / "ifupdown-ng.list").write_text("")
    assert detect_rules(str(tmp_path)) == IFUPDOWN_NG
    (tmp_path / "usr/sbin/ifup").symlink_to(tmp_path / "usr/share/ifupdown2/__main__.py")
    assert detect_rules(str(tmp_path)) == IFUPDOWN2


def test_a_template_others_can_write_is_never_rendered(tmp_path):
    """Rendering runs the template's Python: a file writable by others must not get root to run it."""
    require_mako()
    marker = tmp_path / "ran"
    path = tmp_path / "interfaces"
    path.write_text(f"<% open({str(marker)!r}, 'w').close() %>\niface a inet6 manual\n    dad off\n")
    path.chmod(0o666)
    notes: list = []
    assert [s.iface for s in read_interfaces(str(path), IFUPDOWN2, notes)] == ["a"]
    assert not marker.exists()
    assert "not rendered: rendering runs its code" in notes[0].message
    path.chmod(0o644)
    read_interfaces(str(path), IFUPDOWN2, [])
    assert marker.exists()  # the same file, root's alone: rendered, as ifupdown2 would
