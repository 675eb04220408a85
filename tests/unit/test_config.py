"""/etc/netguard/netguard.conf parsing."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from netguard.config import Config, load_config, parse_config
from netguard.errors import ConfigError
from netguard.options import BadValue


def test_defaults_when_file_is_absent(tmp_path):
    assert load_config(str(tmp_path / "absent.conf")) == Config()


def test_keys_comments_and_case(tmp_path):
    text = (
        "# netguard configuration\nState-Dir: /tmp/state\nwait-dad-timeout: 2.5\nReject-Allow-Special: yes\n"
    )
    config = parse_config(text)
    assert config.state_dir == "/tmp/state"
    assert config.wait_dad_timeout == 2.5
    assert config.reject_allow_special is True


BAD = [
    ("Colour: blue\n", "1: unknown key 'Colour'"),
    ("Wait-Dad-Timeout: forever\n", "1: Wait-Dad-Timeout: bad value 'forever'"),
    ("Wait-Dad-Timeout: 0\n", "more than 0"),
    ("Wait-Dad-Timeout: 1e-300\n", "plain digits"),
    ("Wait-Dad-Timeout: \uff15\n", "values are ASCII"),
    ("Reject-Allow-Special: perhaps\n", "accepted: yes, no"),
    ("State-Dir: /a\n\nState-Dir: /b\n", "3: State-Dir given again (first on line 1)"),
    ("# c\nState-Dir /a\n", "2: 'State-Dir /a' is not `Key: value`"),
    ("State-Dir: /a\n Cache-Dir: /b\n", "2: an indented line"),
    ("Irr-Port: 99999\n", "from 1 to 65535"),
    ("Irr-Port: 0\n", "from 1 to 65535"),
    ("Ripestat-Url: https://stat.ripe.net:99999/x\n", "the port must be a number from 1 to 65535"),
    ("Mirror-Url: http://mirror.example:0/\n", "the port must be a number from 1 to 65535"),
    ("Mirror-Url: http://mirror.example:port/\n", "the port must be a number from 1 to 65535"),
    ("Fetch-Max-Bytes: 0\n", "Fetch-Max-Bytes: bad value '0'"),
    ("Reject-Min-Length-IPv6: 999\n", "from 0 to 128"),
    ("Reject-Min-Length-IPv4: 33\n", "from 0 to 32"),
    ("State-Dir: run/netguard\n", "an absolute path"),
    ("Cache-Dir: /var/cache/net guard\n", "an absolute path"),
    ("State-Dir: /run/../etc\n", "an absolute path"),
    ("Ripestat-Url: not a url\n", "an https:// URL"),
    ("Ripestat-Url: ftp://example.org/x\n", "an https:// URL"),
    ("Refresh-Sources: ripestat ripestat\n", "each once"),
    ("Refresh-Sources: carrier-pigeon\n", "one or more of ripestat, irr, mirror"),
    ("Irr-Sources: RIPE;ARIN\n", "joined by commas"),
    ("Cache-Max-Age-Days: -1\n", "from 1 to 3650"),
    ("State-Dir: /" + "x" * 10000 + "\n", "characters)"),
]


@pytest.mark.parametrize(
    ("text", "message"), BAD, ids=[t.split(":")[0] + str(i) for i, (t, _) in enumerate(BAD)]
)
def test_bad_configuration_names_file_line_key_and_fix(text, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "/etc/netguard/netguard.conf")
    line = caught.value.line()
    assert message in line
    assert line.startswith("netguard: /etc/netguard/netguard.conf:")
    assert "\n" not in line and len(line) < 400


def test_not_utf8_is_one_line(tmp_path):
    path = tmp_path / "netguard.conf"
    path.write_bytes(b"State-Dir: /a\xff\n")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config(str(path))


def test_every_key_is_documented_in_the_shipped_file():
    from tests.sandbox import SHIPPED_CONFIG

    shipped = SHIPPED_CONFIG.read_text()
    for name in Config._fields:
        assert Config.key(name) in shipped, f"{Config.key(name)} missing from debian/netguard.conf"
    assert parse_config(shipped) == Config()


# The patterns netguard.config checked with re before it stopped importing it (~5 ms a hook run).
REPLACED_PATTERNS = {
    "fetch_timeout": r"[0-9]{1,3}(?:\.[0-9]{1,3})?",
    "reject_max_routes": r"[0-9]{1,10}",
    "state_dir": r"/[A-Za-z0-9._/+@-]{0,200}",
    "irr_host": r"[A-Za-z0-9.:-]{1,253}",
    "irr_sources": r"[A-Za-z0-9-]+(?:,[A-Za-z0-9-]+)*",
}
# Each key's characters, and a few near them that it refuses.
ALPHABETS = {
    "fetch_timeout": "0123456789..x",
    "reject_max_routes": "0123456789 ",
    "state_dir": "/aZ09._+@-//~ é",
    "irr_host": "aZ09.:-_/ é",
    "irr_sources": "aZ09-,,_. ",
}


@settings(max_examples=400)
@example(("fetch_timeout", "0012"))  # edges generation may not reach
@example(("fetch_timeout", "1."))
@example(("fetch_timeout", ".5"))
@example(("state_dir", "/a~"))
@example(("state_dir", "a/"))
@example(("irr_host", "a_b"))
@example(("irr_sources", "RIPE,,ARIN"))
@example(("irr_sources", ""))
@given(
    st.sampled_from(sorted(REPLACED_PATTERNS)).flatmap(
        lambda k: st.tuples(st.just(k), st.text(ALPHABETS[k], max_size=12))
    )
)
def test_each_value_check_accepts_what_its_regular_expression_did(case):
    key, value = case
    import re

    from netguard.config import PARSERS
    from netguard.options import bounded_seconds

    def accepts(parse, text) -> bool:
        try:
            parse(text)
        except BadValue:
            return False
        return True

    expected = re.fullmatch(REPLACED_PATTERNS[key], value) is not None
    if expected and key == "state_dir":
        expected = "/../" not in value + "/"
    if expected and key == "reject_max_routes":
        expected = 1 <= int(value) <= 10_000_000
    if expected and key == "fetch_timeout":
        expected = accepts(bounded_seconds, float(value))
    assert accepts(PARSERS[key], value) == expected, (key, value)


def test_long_values_are_held_to_the_same_limits():
    from netguard.config import PARSERS

    assert PARSERS["state_dir"]("/" + "a" * 200) == "/" + "a" * 200
    with pytest.raises(BadValue):
        PARSERS["state_dir"]("/" + "a" * 201)
    assert PARSERS["irr_host"]("h" * 253) == "h" * 253
    with pytest.raises(BadValue):
        PARSERS["irr_host"]("h" * 254)
