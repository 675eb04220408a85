"""/etc/netguard/netguard.conf parsing."""

from __future__ import annotations

import pytest

from netguard.config import Config, load_config, parse_config
from netguard.errors import ConfigError


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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Colour: blue\n", "unknown key 'Colour'"),
        ("Wait-Dad-Timeout: forever\n", "Wait-Dad-Timeout: bad value 'forever'"),
        ("Wait-Dad-Timeout: 0\n", "more than 0"),
        ("Reject-Allow-Special: perhaps\n", "accepted: yes, no"),
        ("State-Dir: /a\n\nState-Dir: /b\n", "exactly one"),
    ],
    ids=["unknown-key", "not-a-number", "zero-timeout", "not-a-boolean", "two-paragraphs"],
)
def test_bad_configuration_names_file_key_and_fix(text, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "/etc/netguard/netguard.conf")
    assert message in caught.value.line()
    assert caught.value.line().startswith("netguard: /etc/netguard/netguard.conf: ")


def test_every_key_is_documented_in_the_shipped_file():
    from tests.sandbox import SHIPPED_CONFIG

    shipped = SHIPPED_CONFIG.read_text()
    for name in Config.__dataclass_fields__:
        assert Config.key(name) in shipped, f"{Config.key(name)} missing from debian/netguard.conf"
    assert parse_config(shipped) == Config()
