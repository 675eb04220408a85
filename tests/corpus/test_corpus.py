"""netguard's reader against Debian's parsers, on interfaces files written by others.

The corpus (tests/corpus/SOURCES) is real files shipped in Debian's packages,
unpacked by `make check` into out/corpus; each also as a variant with
netguard options added to every stanza in several spellings and repeats.
- Every file ifupdown 0.8 accepts: for each interface, the options ifquery
  (Debian's own parser, --no-mappings) reports equal those netguard's reader
  gives, stanza by stanza, spelling by spelling, repeats newline-joined.
- ifquery does not show which variable each spelling becomes: real `ifup`
  does. For a few files, a pre-up hook under real ifup writes down its IF_*
  environment, which must equal the reader's env() for that stanza.
- Files only ifupdown2 reads (mako templates, stanzas without a family):
  ifupdown2's own ifquery (unpacked, --format json) against the reader with
  ifupdown2's rules.
- No file makes check, status or refresh print a traceback or hang.
"""

from __future__ import annotations

import gzip
import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from netguard.interfaces import IFUPDOWN, IFUPDOWN2, NETGUARD_ENV, env_key, read_interfaces
from tests.conftest import require
from tests.sandbox import CHECKOUT, IMPORT_PATH

ROOT = CHECKOUT / "out" / "corpus" / "root"
SOURCES = [line.split() for line in (Path(__file__).parent / "SOURCES").read_text().splitlines()]
ENTRIES = [words for words in SOURCES if words and not words[0].startswith("#")]
KEYWORDS = ("auto", "iface", "mapping", "source", "source-directory")
# Added after every iface line of a variant: two spellings of one variable, and repeats.
ADDED = "    Wait-Dad 5\n    reject-asn 64500\n    reject_asn 64501\n    reject-asn 64502\n    dad off\n"
PYTHON = "/usr/bin/python3"
COMMANDS = {"pre-up", "up", "post-up", "down", "pre-down", "post-down"}
ALIASES = {"post-up": "up", "pre-down": "down"}  # ifupdown's own synonyms


def extract(text: str) -> str:
    """The stanzas of a README's examples, in order, de-indented."""
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        words = lines[i].split()
        if len(words) >= 2 and (words[0] in KEYWORDS or words[0].startswith("allow-")):
            base = len(lines[i]) - len(lines[i].lstrip())
            out.append(lines[i][base:])
            i += 1
            while i < len(lines) and lines[i].strip():
                indent = len(lines[i]) - len(lines[i].lstrip())
                first = lines[i].split()[0]
                if indent < base or (
                    indent == base and first not in KEYWORDS and not first.startswith("allow-")
                ):
                    break
                out.append(lines[i][base:])
                i += 1
            out.append("")
        else:
            i += 1
    return "\n".join(out)


def variant(text: str) -> str:
    return "".join(
        line + (ADDED if line.startswith("iface ") else "") for line in text.splitlines(keepends=True)
    )


def corpus(tmp: Path) -> list[tuple[str, Path]]:
    """(name, path) of every corpus file and its variant, written under tmp."""
    if not (CHECKOUT / "out" / "corpus" / ".unpacked").exists():
        require("out/corpus is not unpacked (make check downloads it: tests/corpus/SOURCES)")
    made = []
    for package, path, kind in ENTRIES:
        source = ROOT / path
        assert source.exists(), f"{package} no longer ships {path}: update tests/corpus/SOURCES"
        raw = gzip.decompress(source.read_bytes()) if path.endswith(".gz") else source.read_bytes()
        text = raw.decode("utf-8", "replace")
        if kind == "readme":
            text = extract(text)
        name = f"{package}:{path.rsplit('/', 1)[-1]}"
        for label, body in ((name, text), (name + "+netguard", variant(text))):
            target = tmp / label.replace("/", "_").replace(":", "_")
            target.write_text(body if body.endswith("\n") else body + "\n")
            target.chmod(0o644)  # templates are rendered only in a file others cannot write
            made.append((label, target))
    return made


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[tuple[str, Path]]:
    return corpus(tmp_path_factory.mktemp("corpus"))


def ifquery(path: Path, iface: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ifquery", "--no-mappings", "-i", str(path), iface], capture_output=True, text=True, timeout=30
    )


def accepted_by_ifupdown(path: Path) -> bool:
    return (
        subprocess.run(
            ["ifquery", "-i", str(path), "--list", "-a"], capture_output=True, timeout=30
        ).returncode
        == 0
    )


def ifquery_options(output: str) -> list[tuple[str, str]]:
    """`name: value` lines; a line without `: ` continues a joined repeat."""
    options: list[tuple[str, str]] = []
    for line in output.splitlines():
        name, sep, value = line.partition(": ")
        if sep and " " not in name:
            options.append((name, value))
        elif line.endswith(":") and " " not in line:
            options.append((line[:-1], ""))
        elif options:
            options[-1] = (options[-1][0], options[-1][1] + "\n" + line)
    return options


def reader_options(stanzas, iface: str) -> list[tuple[str, str]]:
    """What ifquery shows for an interface: each stanza's options, one line per spelling, repeats joined."""
    shown: list[tuple[str, str]] = []
    for stanza in stanzas:
        if stanza.iface != iface:
            continue
        by_spelling: dict[str, list[str]] = {}
        for option in stanza.options:
            if option.name in COMMANDS:  # commands, run one by one: never joined, never exported
                shown.append((ALIASES.get(option.name, option.name), option.value))
            else:
                by_spelling.setdefault(option.name, []).append(option.value)
        shown.extend((name, "\n".join(values)) for name, values in by_spelling.items())
    return shown


def test_the_corpus_is_at_least_25_real_files(files):
    assert len(ENTRIES) >= 25 and len(files) == 2 * len(ENTRIES)


def test_the_reader_equals_ifquery_on_every_file_ifupdown_accepts(files):
    compared = netguard_lines = 0
    for label, path in files:
        if not accepted_by_ifupdown(path):
            continue
        stanzas = read_interfaces(str(path), IFUPDOWN)
        for iface in dict.fromkeys(s.iface for s in stanzas):
            result = ifquery(path, iface)
            assert result.returncode == 0, (label, iface, result.stderr)
            theirs = ifquery_options(result.stdout)
            ours = reader_options(stanzas, iface)
            # ifupdown adds its methods' defaults and rewrites address/netmask: every option
            # of the file is there with its value, in order, and netguard's exactly.
            mine_netguard = [o for o in ours if env_key(o[0]) in NETGUARD_ENV]
            their_netguard = [o for o in theirs if env_key(o[0]) in NETGUARD_ENV]
            assert mine_netguard == their_netguard, (label, iface)
            rewritten = {"address", "netmask", "broadcast", "network", "gateway", "pointopoint"}
            for name, value in ours:
                if name not in rewritten:
                    assert (name, value) in theirs, (label, iface, name, value, theirs)
            compared += 1
            netguard_lines += len(mine_netguard)
    print(
        f"corpus: {compared} interfaces compared with ifquery, {netguard_lines} netguard options among them"
    )
    assert compared >= 60 and netguard_lines >= 150  # 72 and 216 when written


def test_the_files_only_ifupdown2_reads_equal_its_ifquery(files, make_namespace):
    tree = Path(os.environ.get("NETGUARD_IFUPDOWN2", "/nonexistent"))
    if not (tree / "etc" / "network" / "ifupdown2").is_dir():
        require("NETGUARD_IFUPDOWN2 does not name an unpacked ifupdown2 (make check makes one)")
    namespace = (
        make_namespace()
    )  # its own /etc/network: ifupdown2.conf (templates on), as the package ships it
    shutil.copytree(tree / "etc" / "network" / "ifupdown2", namespace.etc / "network" / "ifupdown2")
    program = tree / "bin" / "ifquery"
    only_ifupdown2 = [(label, path) for label, path in files if not accepted_by_ifupdown(path)]
    compared = 0
    for label, path in only_ifupdown2:
        notes: list = []
        stanzas = read_interfaces(str(path), IFUPDOWN2, notes)
        names = list(dict.fromkeys(s.iface for s in stanzas))
        quoted = " ".join(shlex.quote(name) for name in names)
        script = f"mount -t tmpfs tmpfs /run && mkdir /run/network && exec {PYTHON} {program} -i {path} --format json {quoted}"
        result = namespace.exec("unshare", "-m", "sh", "-c", script, check=False, timeout=120)
        theirs = json.loads(result.stdout or "[]")
        if not theirs:  # ifupdown2 cannot read it: a template that does not render, read as written
            assert "failed to render template" in result.stderr, (label, result.stderr[-500:])
            assert any(t.path == str(path) for t in notes), label
            continue
        their_env: dict[str, list[dict]] = {}
        for obj in theirs:
            config = {k: (v if isinstance(v, list) else [v]) for k, v in obj.get("config", {}).items()}
            env = {"IF_" + k.upper().replace("-", "_"): v[0] for k, v in config.items()}
            their_env.setdefault(obj["name"], []).append({k: v for k, v in env.items() if k in NETGUARD_ENV})
        ours: dict[str, list[dict]] = {}
        for stanza in stanzas:
            ours.setdefault(stanza.iface, []).append(
                {k: v for k, v in stanza.env().items() if k in NETGUARD_ENV}
            )
        for name in their_env:
            assert sorted(map(sorted_items, their_env[name])) == sorted(
                map(sorted_items, ours.get(name, []))
            ), (label, name)
            compared += 1
    print(
        f"corpus: {len(only_ifupdown2)} files only ifupdown2 reads, {compared} interfaces compared with its ifquery"
    )
    assert len(only_ifupdown2) >= 2 and compared >= 100  # the two mako templates alone render 100+ vlans


def sorted_items(env: dict) -> list:
    return sorted(env.items())


def test_a_real_hook_under_real_ifup_receives_what_the_reader_says(files, make_host):
    """The joining and spelling rules ifquery cannot show, proven under real ifup."""
    host = make_host()
    dump = host.etc / "network" / "if-pre-up.d" / "0dump"
    out = Path(host.state_dir) / "env"
    dump.write_text(
        f"#!{PYTHON}\nimport json, os, sys\n"
        f"json.dump({{k: v for k, v in os.environ.items() if k.startswith('IF_')}}, open('{out}.' + os.environ['IFACE'], 'w'))\n"
        "sys.exit(1)  # stop ifup right there: nothing of the stanza is applied\n"
    )
    dump.chmod(0o755)
    proven = 0
    for label, path in files:
        if not label.endswith("+netguard") or not accepted_by_ifupdown(path):
            continue
        stanzas = read_interfaces(str(path), IFUPDOWN)
        for stanza in {s.iface: s for s in reversed(stanzas)}.values():  # the first stanza of each interface
            if not stanza.family or len(stanza.iface) > 15 or not stanza.iface.replace("-", "").isalnum():
                continue
            host.exec("ip", "link", "add", stanza.iface, "type", "dummy", check=False)
            host.exec(
                "ifup",
                "--no-mappings",
                "--force",
                "-i",
                str(path),
                "--state-dir",
                host.state_dir,
                stanza.iface,
                check=False,
            )
            received = Path(f"{out}.{stanza.iface}")
            if not received.exists():
                continue  # ifupdown did not reach pre-up (a method it cannot run here); ifquery covers it
            got = json.loads(received.read_text())
            received.unlink()
            expected = {k: v for k, v in stanza.env().items() if k in NETGUARD_ENV}
            assert expected and {k: got.get(k) for k in expected} == expected, (label, stanza.iface, got)
            proven += 1
        if proven >= 12:
            break
    assert proven >= 12


def test_no_file_makes_a_command_print_a_traceback_or_hang(files, tmp_path):
    config = tmp_path / "netguard.conf"
    # Refresh asks a mirror on a closed port: refused at once, never the internet.
    config.write_text(
        f"State-Dir: {tmp_path}/state\nCache-Dir: {tmp_path}/cache\n"
        "Refresh-Sources: mirror\nMirror-Url: http://127.0.0.1:9/netguard\n"
    )
    env = {**os.environ, "PYTHONPATH": IMPORT_PATH}
    runs = 0
    for label, path in files:
        for rules in ("ifupdown", "ifupdown2", "ifupdown-ng"):
            for command in (["check"], ["status", "--json"], ["refresh", "--stage", str(tmp_path / "stage")]):
                args = [
                    PYTHON,
                    "-m",
                    "netguard",
                    "--config",
                    str(config),
                    *command,
                    "-i",
                    str(path),
                    "--rules",
                    rules,
                ]
                result = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)
                assert "Traceback" not in result.stdout + result.stderr, (
                    label,
                    rules,
                    command,
                    result.stderr[-800:],
                )
                assert result.returncode in (0, 1, 2), (
                    label,
                    rules,
                    command,
                    result.returncode,
                    result.stderr[-300:],
                )
                runs += 1
    print(f"corpus: {runs} runs of check, status and refresh, no traceback, none over 60 s")
