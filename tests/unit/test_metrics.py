"""metrics.py: the exposition text, the one file per writer, merging, counters, pruning."""

from __future__ import annotations

import os

import pytest

from netguard import metrics
from netguard.config import DEFAULT_METRICS_DIR, Config
from tests.prometheus import parse, value


@pytest.fixture(autouse=True)
def _fresh_process():
    """Each test as a new process would be: nothing noted, nothing pruned yet."""
    metrics.noted.clear()
    metrics._pruned = False


def config(where) -> Config:
    return Config(metrics_dir=str(where))


def test_label_values_are_escaped_as_the_format_says_and_read_back_whole():
    odd = 'a"b\\c\nd'
    text = metrics.render([metrics.sample("netguard_probe_streak", 2, iface=odd)])
    line = text.splitlines()[-1]
    assert line == 'netguard_probe_streak{iface="a\\"b\\\\c\\nd"} 2', text
    assert value(parse(text), "netguard_probe_streak", iface=odd) == 2


def test_every_metric_has_help_and_type_once_and_undeclared_names_are_refused():
    text = metrics.render(
        [
            metrics.sample("netguard_probe_streak", 1, iface="a"),
            metrics.sample("netguard_probe_streak", 0, iface="b"),
        ]
    )
    assert (
        text.count("# HELP netguard_probe_streak ") == 1
        and text.count("# TYPE netguard_probe_streak gauge") == 1
    )
    try:
        metrics.render([metrics.sample("netguard_made_up", 1)])
    except KeyError:
        pass
    else:
        raise AssertionError("an undeclared metric was rendered")


def test_the_default_directory_is_used_only_when_it_exists_and_empty_turns_metrics_off(tmp_path):
    assert metrics.directory(Config(metrics_dir="")) == ""
    if not os.path.lexists(DEFAULT_METRICS_DIR):
        assert metrics.directory(Config()) == ""
    assert metrics.directory(config(tmp_path / "absent")) == str(
        tmp_path / "absent"
    )  # set: its absence is said
    assert "does not exist" in (metrics.publish(config(tmp_path / "absent"), "x") or "")


def test_a_phase_keeps_the_others_series_and_counters_add_up(tmp_path):
    where = config(tmp_path)
    metrics.note_outcome("lo", "pre-up", "ok")
    metrics.note("lo", metrics.sample("netguard_dad_failures_total", 1, iface="lo", family="inet6"), add=True)
    assert metrics.flush(where) is None
    metrics.note_outcome("lo", "post-up", "failed")
    metrics.note("lo", metrics.sample("netguard_dad_failures_total", 2, iface="lo", family="inet6"), add=True)
    assert metrics.flush(where) is None
    seen = parse((tmp_path / "netguard_iface_lo.prom").read_text())
    assert value(seen, "netguard_hook_outcome", iface="lo", phase="pre-up", status="ok") == 1
    assert value(seen, "netguard_hook_outcome", iface="lo", phase="post-up", status="failed") == 1
    assert value(seen, "netguard_hook_outcome", iface="lo", phase="post-up", status="ok") == 0
    assert value(seen, "netguard_dad_failures_total", iface="lo", family="inet6") == 3
    assert [n for n in os.listdir(tmp_path) if not n.endswith(".prom")] == []  # no temp file left


def test_a_gone_interface_s_file_and_series_go_at_the_next_write(tmp_path):
    where = config(tmp_path)
    gone = "ng-gone-0"
    (tmp_path / f"netguard_iface_{gone}.prom").write_text('netguard_probe_streak{iface="ng-gone-0"} 1\n')
    (tmp_path / "netguard_routes.prom").write_text(
        'netguard_reject_routes{family="inet6",iface="ng-gone-0",state="wanted"} 3\n'
        'netguard_reject_routes{family="inet6",iface="lo",state="wanted"} 2\n'
    )
    assert metrics.publish(where, "routes", [], merge=True) is None
    assert not (tmp_path / f"netguard_iface_{gone}.prom").exists()
    seen = parse((tmp_path / "netguard_routes.prom").read_text())
    assert value(seen, "netguard_reject_routes", iface="lo", family="inet6", state="wanted") == 2
    assert value(seen, "netguard_reject_routes", iface=gone, family="inet6", state="wanted") is None


def test_a_planted_link_in_place_of_our_file_is_replaced_not_followed(tmp_path):
    target = tmp_path / "victim"
    target.write_text("untouched\n")
    where = tmp_path / "textfile"
    where.mkdir()
    (where / "netguard_probe.prom").symlink_to(target)
    assert (
        metrics.publish(config(where), "probe", [metrics.sample("netguard_probe_streak", 1, iface="lo")])
        is None
    )
    assert target.read_text() == "untouched\n"
    assert not (where / "netguard_probe.prom").is_symlink()
