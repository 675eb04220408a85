"""The interfaces reader gives each stanza the IF_* environment ifupdown 0.8 gives its hooks."""

from __future__ import annotations

from netguard.interfaces import env_key, read_interfaces


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
