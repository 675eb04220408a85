"""Metrics for Prometheus' node_exporter: `*.prom` files in its textfile collector's directory.

Each writer owns one file, written whole (temp name + rename in the same
directory, as the collector requires), so concurrent hooks, refresh and
probe never clobber each other's lines:

  netguard_iface_IFACE.prom  the hook of IFACE: each phase's last outcome, its waits, DAD failures
  netguard_routes.prom       reconcile's transaction (under its lock): reject routes per interface
  netguard_probe.prom        `netguard probe`: each interface's verdict and streak
  netguard_cache.prom        `netguard refresh` and `import`: each AS's cache entry and refresh

Metrics-Dir (netguard.conf) names the directory; empty turns metrics off.
The default, Debian's /var/lib/prometheus/node-exporter, is used only when
it exists (node_exporter installed); a directory the admin set that is
missing, a link, not root's, writable by others or full is one warning and
nothing written: metrics never change what the hook does. Files are made
through a descriptor of the directory opened without following links, so a
directory swapped for a link mid-way is not followed. A file whose interface
is gone is removed at the next write of any writer: label sets stay bounded.

Rendering is pure (render); only publish and prune touch the directory.
"""

from __future__ import annotations

import errno
import os
import stat

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Iterable

    from netguard.config import Config

PREFIX, SUFFIX = "netguard_", ".prom"
IFACE_FILE = "netguard_iface_"
MAX_ASNS = 1000  # cache series: at most this many ASes (a label set stays bounded)
STATUSES = ("ok", "warning", "failed")

# name: (type, help). Every series netguard writes; a test holds the man page to this table.
METRICS: dict[str, tuple[str, str]] = {
    "netguard_hook_outcome": (
        "gauge",
        "Last outcome of the hook phase for the interface: 1 for the status it had (ok, warning, failed), 0 for the others.",
    ),
    "netguard_hook_outcome_timestamp_seconds": (
        "gauge",
        "When the hook phase last ran for the interface (Unix time).",
    ),
    "netguard_wait_seconds": (
        "gauge",
        "How long the last wait-dad wait took; where: interface (its own ifup) or run_end (one wait at the end of ifup -a).",
    ),
    "netguard_boot_wait_outcome": (
        "gauge",
        "How netguard-wait@IFACE.service (an allow-hotplug interface at boot) ended: 1 for its status (usable, device missing, ifup unfinished, ifup failed, not usable), 0 for the others.",
    ),
    "netguard_boot_wait_seconds": (
        "gauge",
        "How long netguard-wait@IFACE.service held network-online.target at the last boot.",
    ),
    "netguard_dad_failures_total": (
        "counter",
        "Duplicate addresses named since boot: family inet6 (the kernel's DAD, dadfailed), inet (ipv4-dad's ARP probe).",
    ),
    "netguard_ipv4_dad_in_use": (
        "gauge",
        "1 when ipv4-dad's last probe of the address found another host using it, else 0.",
    ),
    "netguard_reject_routes": (
        "gauge",
        "Reject routes of the interface and family after the last change: wanted (from the cache), installed, missing (wanted, not installed).",
    ),
    "netguard_reject_withdrawn": (
        "gauge",
        "1 while the interface's reject routes are withdrawn because its probe targets answer through it, else 0.",
    ),
    "netguard_probe_verdict": (
        "gauge",
        "The interface's probe verdict: 1 for the current one (reachable, unreachable, unknown), 0 for the others.",
    ),
    "netguard_probe_streak": (
        "gauge",
        "Probe rounds in a row that disagreed with the verdict (it flips at 3).",
    ),
    "netguard_probe_target_answered": (
        "gauge",
        "1 when the target answered through the interface in the last probe round, else 0.",
    ),
    "netguard_probe_timestamp_seconds": (
        "gauge",
        "When the interface's targets were last probed (Unix time).",
    ),
    "netguard_cache_prefixes": ("gauge", "Prefixes in the AS's cache entry, per family."),
    "netguard_cache_fetched_timestamp_seconds": (
        "gauge",
        "When the AS's cache entry was fetched (Unix time).",
    ),
    "netguard_cache_max_age_seconds": (
        "gauge",
        "Cache-Max-Age-Days in seconds: an entry older than this is stale.",
    ),
    "netguard_refresh_attempt_timestamp_seconds": (
        "gauge",
        "When `netguard refresh` last tried the AS (Unix time).",
    ),
    "netguard_refresh_success": ("gauge", "1 when the last refresh of the AS filled the cache, else 0."),
    "netguard_refresh_success_timestamp_seconds": (
        "gauge",
        "When a refresh of the AS last filled the cache (Unix time).",
    ),
}


Sample = tuple  # (name, ((label, value), ...), value): a plain tuple, no class to build at import


class MetricsDirProblem(Exception):
    """The directory cannot be written safely: the one line to warn with."""


def sample(name: str, value: float, **labels: str) -> Sample:
    return (name, tuple(labels.items()), value)


def _label_value(text: str) -> str:
    """The exposition format's escaping (backslash, quote, newline: read back whole), and
    errors.escaped (the one escaping of shown names) for every other character that is
    not printable or not UTF-8."""
    from netguard.errors import escaped

    return "\\n".join(escaped(part).replace("\\", "\\\\").replace('"', '\\"') for part in text.split("\n"))


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1 << 53 else repr(float(value))


def series_key(one: Sample) -> str:
    """The series as the exposition format writes it: name{label="value",...}."""
    name, pairs, _value = one
    if name not in METRICS:
        raise KeyError(f"{name} is not declared in metrics.METRICS")
    labels = ",".join(f'{key}="{_label_value(value)}"' for key, value in sorted(pairs))
    return f"{name}{{{labels}}}" if labels else name


def _render_series(series: dict[str, float]) -> str:
    by_name: dict[str, list[str]] = {}
    for key in series:
        by_name.setdefault(key.partition("{")[0], []).append(key)
    lines = []
    for name in sorted(by_name):
        kind, text = METRICS[name]
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
        lines += [f"{key} {_number(series[key])}" for key in sorted(by_name[name])]
    return "\n".join(lines) + "\n" if lines else ""


def render(samples: Iterable[Sample]) -> str:
    """The exposition format: each metric's HELP and TYPE once, then its samples, sorted."""
    return _render_series({series_key(one): one[2] for one in samples})


def _well_formed(key: str) -> bool:
    """name{label="value",...} exactly as series_key writes it: a line edited by hand or half
    written is dropped at the next write, never carried into every rewrite (promtool would fail
    on it forever). Hand-parsed: re costs a hook ~5 ms to import."""
    name, brace, rest = key.partition("{")
    if name not in METRICS or (brace and not rest.endswith("}")):
        return False
    body, at = rest[:-1], 0
    while at < len(body):
        end = at
        while end < len(body) and body[end].isascii() and (body[end].isalnum() or body[end] == "_"):
            end += 1
        if end == at or body[end : end + 2] != '="':
            return False
        at = end + 2
        while at < len(body) and body[at] != '"':
            if body[at] == "\\" and body[at + 1 : at + 2] not in ("\\", '"', "n"):
                return False
            at += 2 if body[at] == "\\" else 1
        if at >= len(body):
            return False
        at += 1
        if at < len(body) and body[at] != ",":
            return False
        at += at < len(body)
    return True


def _parse(text: str) -> dict[str, float]:
    """Series of a file netguard wrote: only declared names, each line well formed; anything
    else is dropped (and so healed at the next write)."""
    series: dict[str, float] = {}
    for line in text.split("\n"):
        key, _, value = line.rpartition(" ")
        if not key or line.startswith("#") or not _well_formed(key):
            continue
        try:
            series[key] = float(value)
        except ValueError:
            continue
    return series


def status_set(name: str, current: str, choices: tuple[str, ...], **labels: str) -> list[Sample]:
    """A state as a 0/1 gauge per choice (the exposition format has no enums)."""
    return [sample(name, 1 if choice == current else 0, **labels, status=choice) for choice in choices]


def directory(config: Config) -> str:
    """The directory to write in, or "" when metrics are off (or the default is absent)."""
    return config.metrics_dir if config.metrics_on else ""


def _open_directory(where: str) -> int:
    try:
        descriptor = os.open(where, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise MetricsDirProblem(
            f"{where} does not exist; make it (node_exporter's textfile directory) or set Metrics-Dir empty"
        ) from None
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR):
            raise MetricsDirProblem(
                f"{where} is a symlink or not a directory; refused; name the real directory in Metrics-Dir"
            ) from None
        raise MetricsDirProblem(f"cannot open {where}: {err.strerror}") from None
    info = os.fstat(descriptor)
    if info.st_uid not in (0, os.geteuid()) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        os.close(descriptor)
        raise MetricsDirProblem(
            f"{where} is not root's or others can write it (they could forge netguard's metrics); "
            f"refused; fix with: chown root:root {where} && chmod 755 {where}"
        )
    return descriptor


def _write(descriptor: int, where: str, name: str, text: str) -> None:
    """safefile.write_atomic through the directory's descriptor (its temp name, `.tmp.*`, is not
    *.prom: the collector skips it); no fsync: metrics are rewritten at the next run."""
    from netguard.safefile import write_atomic

    try:
        write_atomic(where, name, text.encode("utf-8"), sync=False, dir_fd=descriptor)
    except OSError as err:
        why = "the disk is full" if err.errno in (errno.ENOSPC, errno.EDQUOT) else err.strerror
        raise MetricsDirProblem(
            f"cannot write {os.path.join(where, name)}: {why}; metrics not updated"
        ) from None


def _exists(iface: str) -> bool:
    return os.path.lexists(os.path.join("/sys/class/net", iface.partition(":")[0]))


def _present(key: str) -> bool:
    """Whether the series' iface label (if any) names an interface that exists."""
    _, found, rest = key.partition('iface="')
    if not found:
        return True
    value, escaped = [], False
    for char in rest:
        if escaped:
            value.append({"n": "\n"}.get(char, char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            break
        else:
            value.append(char)
    name = "".join(value)
    return bool(name) and "/" not in name and name not in (".", "..") and _exists(name)


_pruned = False  # once per process is enough: a hook run publishes up to three files


def _prune(descriptor: int) -> None:
    """Remove the files of interfaces that are gone (the kernel's /sys/class/net says)."""
    global _pruned
    if _pruned:
        return
    _pruned = True
    import time

    for entry in os.listdir(descriptor):
        if entry.startswith(".tmp."):  # a writer killed between write and rename left it
            try:
                if (
                    time.time() - os.stat(entry, dir_fd=descriptor, follow_symlinks=False).st_mtime
                    > STALE_TEMP
                ):
                    os.unlink(entry, dir_fd=descriptor)
            except OSError:
                pass
            continue
        if entry.startswith(IFACE_FILE) and entry.endswith(SUFFIX):
            iface = entry[len(IFACE_FILE) : -len(SUFFIX)]
            if not iface or "/" in iface or iface in (".", "..") or not _exists(iface):
                try:
                    os.unlink(entry, dir_fd=descriptor)
                except OSError:
                    pass


def _read(descriptor: int, name: str) -> str:
    from netguard.safefile import UnsafeFile, read_bounded

    try:
        return read_bounded(name, READ_LIMIT, dir_fd=descriptor).decode("utf-8", "replace")
    except (OSError, UnsafeFile):
        return ""  # absent, or not a file we could have written: start afresh


READ_LIMIT = 256 * 1024
STALE_TEMP = 60  # seconds: no live writer holds a temp file that long (a write takes milliseconds)


def publish(
    config: Config,
    writer: str,
    samples: Iterable[Sample] = (),
    added: Iterable[Sample] = (),
    merge: bool = False,
    drop: set[str] | frozenset[str] = frozenset(),
) -> str | None:
    """Write netguard_WRITER.prom: samples set (merge: over the file's series, so one phase
    keeps another's), added summed into counters. Then prune gone interfaces.

    The problem as one line (the caller warns with it), or None. Never raises."""
    where = directory(config)
    if not where:
        return None
    try:
        descriptor = _open_directory(where)
        try:
            name = f"{PREFIX}{writer}{SUFFIX}"
            before = _read(descriptor, name)
            series = {}
            if merge:  # what the file said, but of interfaces still there
                series = {
                    k: v for k, v in _parse(before).items() if _present(k) and k.partition("{")[0] not in drop
                }
            series.update((series_key(one), one[2]) for one in samples)
            for one in added:
                key = series_key(one)
                series[key] = series.get(key, 0) + one[2]
            text = _render_series(series)
            if text != before:  # the same lines again (ifup again): no rename
                _write(descriptor, where, name, text)
            _prune(descriptor)
        finally:
            os.close(descriptor)
    except MetricsDirProblem as problem:
        return str(problem)
    except OSError as err:
        return f"cannot write metrics in {where}: {err.strerror}"
    return None


quiet = False  # the hook's post-up and post-down: pre-up and pre-down have said it already
_said: set[str] = set()


def report(iface: str, problem: str | None) -> None:
    """A Metrics-Dir problem: one warning per problem and run (ifup: in pre-up only), never a failure."""
    from netguard import log

    if not problem or problem in _said:
        return
    first = not _said
    _said.add(problem)
    if quiet or not first:
        log.info(iface, "Metrics-Dir", problem)
    else:
        log.warn(iface, "Metrics-Dir", problem)


# What this process learnt about interfaces, published by the hook when its phase ends.
noted: dict[str, tuple[list[Sample], list[Sample]]] = {}  # iface -> (set, added)


def note(iface: str, *samples: Sample, add: bool = False) -> None:
    noted.setdefault(iface, ([], []))[1 if add else 0].extend(samples)


dropped: dict[str, set[str]] = {}  # iface -> metric names whose series this run removes


def drop(iface: str, name: str) -> None:
    """The interface's series of this metric go at the next write (ipv4-dad's at ifdown)."""
    dropped.setdefault(iface, set()).add(name)


def note_outcome(iface: str, phase: str, status: str) -> None:
    """A hook phase's outcome (outcome.py records the same for `netguard status`)."""
    import time

    note(iface, *status_set("netguard_hook_outcome", status, STATUSES, iface=iface, phase=phase))
    note(
        iface,
        sample("netguard_hook_outcome_timestamp_seconds", round(time.time(), 3), iface=iface, phase=phase),
    )


def flush(config: Config) -> str | None:
    """Each noted interface's file, merged; the first problem (one line), or None."""
    problem = None
    for iface in sorted(set(noted) | set(dropped)):
        samples, added = noted.get(iface, ([], []))
        gone = dropped.get(iface, set())
        problem = publish(config, f"iface_{iface}", samples, added, merge=True, drop=gone) or problem
    noted.clear()
    dropped.clear()
    return problem
