"""Hostile round 4, class 7: records are validated on read, in one versioned format.

A State-Dir record netguard could not have written is a problem line, never output that
breaks the closed status schema; an unversioned record (format 1, written before format 2)
is still read (upgrades); a record of a newer format is refused as a whole, named once.
"""

from __future__ import annotations

import pytest

from netguard import applied, outcome, stateformat
from tests.sandbox import validate_status
from tests.unit.test_hostile import run_cli

FORGED = {
    "outcome": "post-up\t2026-12-07T10:00:00+0000\tpwned\tx\npre-up\t2026-12-07T10:00:00+0000\tok\t\n",
    "ipv4-dad": "192.0.2.1\t2026-12-07T10:00:00+0000\tstolen\tx\n10.0.0.999\t2026-12-07T10:00:00+0000\tfree\t\n",
    "wait": "surprise\t2026-12-07T10:00:00+0000\tsoon\t1 s\nwait-dad\tyesterday\tat the interface\t1 s\n",
}


def write(state, kind: str, text: bytes) -> None:
    (state / kind).mkdir(parents=True, exist_ok=True)
    (state / kind / "eth0").write_bytes(text)


@pytest.mark.parametrize("kind", sorted(FORGED))
def test_a_forged_record_is_a_problem_not_output_and_the_schema_holds(tmp_path, kind):
    state = tmp_path / "state"
    write(state, kind, FORGED[kind].encode())
    (tmp_path / "interfaces").write_text("iface eth0 inet6 manual\n    wait-dad 5\n")
    (tmp_path / "netguard.conf").write_text(
        f"State-Dir: {state}\nCache-Dir: {tmp_path / 'c'}\nMetrics-Dir:\n"
    )
    result = run_cli(tmp_path, "--config", str(tmp_path / "netguard.conf"), "status", "--json", "-i",
                     str(tmp_path / "interfaces"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = validate_status(result.stdout)
    assert any("could not have written" in problem for problem in report["problems"]), report["problems"]
    if kind == "outcome":  # the valid line of the same record is still shown
        assert report["interfaces"]["eth0"]["outcomes"]["pre-up"]["status"] == "ok"


def test_format_1_records_are_read_and_a_newer_format_is_refused_whole(tmp_path):
    state = tmp_path / "state"
    write(state, "outcome", b"post-up\t2026-12-07T10:00:00+0000\tok\t\n")  # format 1: no header
    assert outcome.read(str(state), "eth0")["post-up"]["status"] == "ok"
    write(state, "outcome", b"netguard-state 9\npost-up\t2026-12-07T10:00:00+0000\tok\t\n")
    problems: list[str] = []
    assert outcome.read(str(state), "eth0", problems=problems) == {}
    assert problems and "written by a newer netguard (format 9" in problems[0], problems
    outcome.record(str(state), "eth1", "post-up", "ok", "")
    assert (state / "outcome" / "eth1").read_bytes().startswith(b"netguard-state 2\n")


def test_an_applied_record_of_format_1_is_undone_and_a_newer_one_is_never_guessed(tmp_path):
    state = tmp_path / "state"
    (state / "applied").mkdir(parents=True)
    (state / "applied" / "eth0").write_text(
        "sysctl /proc/sys/net/ipv6/conf/eth0/accept_dad 1\nreject inet6\n"
    )
    record = applied.load(str(state), "eth0")
    assert record.sysctls == {"/proc/sys/net/ipv6/conf/eth0/accept_dad": 1} and record.reject == {"inet6"}
    applied.save(str(state), "eth0", record)
    assert stateformat.unpack((state / "applied" / "eth0").read_bytes())[0] == stateformat.VERSION
    (state / "applied" / "eth0").write_bytes(b"netguard-state 3\nsysctl x 1\n")
    with pytest.raises(applied.UnsafeFile, match="newer netguard"):
        applied.load(str(state), "eth0")


# Class 8: metrics files heal: rebuilt from what netguard knows, never carrying what it finds.
@pytest.mark.parametrize(
    "line",
    [
        'netguard_hook_outcome{iface="lo",phase="pre-up" 1',  # half written
        "netguard_hook_outcome{iface=lo} 1",  # edited by hand
        'netguard_hook_outcome{iface="lo"}{x="y"} 1',
        'netguard_hook_outcome{iface="l\\qo"} 1',  # an escape the format has not
        'netguard_hook_outcome{="lo"} 1',
    ],
)
def test_a_malformed_line_in_a_metrics_file_is_dropped_at_the_next_write(tmp_path, line):
    from netguard import metrics
    from netguard.config import Config

    metrics.noted.clear()
    metrics._pruned = False
    (tmp_path / "netguard_iface_lo.prom").write_text(line + '\nnetguard_probe_streak{iface="lo"} 2\n')
    metrics.note_outcome("lo", "post-up", "ok")
    assert metrics.flush(Config(metrics_dir=str(tmp_path))) is None
    text = (tmp_path / "netguard_iface_lo.prom").read_text()
    assert line not in text and 'netguard_probe_streak{iface="lo"} 2' in text, text


def test_a_killed_writers_temp_file_is_removed_once_stale(tmp_path):
    import os
    import time

    from netguard import metrics
    from netguard.config import Config

    metrics.noted.clear()
    metrics._pruned = False
    stale, fresh = tmp_path / ".tmp.1.aaaaaaaaaaaa", tmp_path / ".tmp.2.bbbbbbbbbbbb"
    stale.write_text("x")
    fresh.write_text("x")
    old = time.time() - metrics.STALE_TEMP - 5
    os.utime(stale, (old, old))
    metrics.note_outcome("lo", "pre-up", "ok")
    assert metrics.flush(Config(metrics_dir=str(tmp_path))) is None
    assert not stale.exists() and fresh.exists()
