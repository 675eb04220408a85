"""netguard as an ifupdown2 addon: failures fail ifup, warnings show.

ifupdown2 runs /etc/network/if-*.d scripts too, but it logs a failing
script and still exits 0, and throws away what a succeeding script says.
Loaded as an addon, netguard runs the very same hook script (which
ifupdown2 then skips: `overrides_ifupdown_scripts`) with the environment
ifupdown2 gives scripts plus every line of netguard's list options, and
reports through ifupdown2: a hook that fails raises, so the interface is
marked failed and ifup exits 1; each line of a hook that succeeds is a
warning on ifupdown2's console. `ifquery --check` asks netguard's own
planners; `ifquery --syntax-check` its own parsers.

ifupdown2 loads only the addons its conffile names, so this is an opt-in,
one line per operation (netguard-interfaces(5)):
    cat /usr/share/netguard/ifupdown2-addons.conf >> /etc/network/ifupdown2/addons.conf
Without it, the hooks run as scripts and the journal (`journalctl -t
netguard`) and `netguard status` are where failures show.

`ifup -a` (networking.service): ifupdown2 runs every interface's pre-up, up
and post-up before the next interface's, so each wait-dad would wait in
turn. Under -a the addon does what ifupdown 0.8 does for its hooks: it
runs the hook once with IFACE=--all before the first interface (which marks
the run: each interface's wait then defers) and once after the last, when
the process exits (atexit: ifupdown2 calls no addon at the end of a run),
where one wait covers every interface; if that wait fails an interface
whose policy is `fail`, the addon makes ifup exit 1, as ifupdown 0.8 would.

Everything but ifupdown2's calling convention is the netguard package's
(netguard/ifupdown2.py); this module is named so that it can import it.
"""

import atexit
import logging
import os
import subprocess
import sys
import tempfile
from typing import ClassVar

try:
    from ifupdown2.ifupdown import ifupdownflags
    from ifupdown2.ifupdownaddons.modulebase import moduleBase
except (ImportError, ModuleNotFoundError):
    from ifupdown import ifupdownflags
    from ifupdownaddons.modulebase import moduleBase

# netguard's modules live in its private directory; first, so that no netguard under
# /usr/local (which ifupdown2's interpreter, run with site, searches before Debian's
# dist-packages) can stand in for it. What this addon cannot choose is the rest of
# ifupdown2's sys.path: pyroute2 or ifupdown2's own modules come from wherever
# ifupdown2's python3 finds them (netguard-interfaces(5), SECURITY).
if "/usr/share/netguard" not in sys.path:
    sys.path.insert(0, "/usr/share/netguard")
from netguard import ifupdown2 as netguard


class netguard_ifupdown2(moduleBase):  # ifupdown2 finds the class by the module's name
    """ifupdown2 addon: netguard's options, run by its hook, failures reported to ifupdown2."""

    _modinfo: ClassVar[dict] = netguard.modinfo()
    overrides_ifupdown_scripts: ClassVar[list] = sorted(set(netguard.HOOK_NAMES.values()))  # the hook it runs

    def __init__(self, *args, **kwargs):
        moduleBase.__init__(self, *args, **kwargs)
        self._failed = set()  # interfaces whose pre-up failed in this run
        self._run_begun = False  # `ifup -a`: the --all pre-up ran, the --all post-up is due at exit

    def run(self, ifaceobj, operation, query_ifaceobj=None, **extra_args):
        if operation == "query-checkcurr":
            self._check(ifaceobj, query_ifaceobj)
        elif operation in netguard.HOOK_DIRS:
            self._hook(ifaceobj, operation)

    def get_ops(self):
        return [*netguard.HOOK_DIRS, "query-checkcurr"]

    def syntax_check(self, ifaceobj, ifaceobj_getfunc=None):
        errors = netguard.syntax_errors(ifaceobj.name, ifaceobj.get_attr_value)
        for line in errors:
            self.logger.warning(line)
        return not errors

    def _hook(self, ifaceobj, operation):
        script = hook_script(operation)
        if not os.access(script, os.X_OK):
            return  # as ifupdown2 does with a script that is not there
        if operation in ("pre-up", "up") and ifupdownflags.flags.ALL and not self._run_begun:
            self._run_begun = True
            self._all("pre-up")
            atexit.register(self._end_run)
        if operation == "up" and ifaceobj.name in self._failed:
            self._failed.discard(ifaceobj.name)
            return  # pre-up failed: under ifupdown, ifup would have stopped there
        # As ifupdown 0.8 runs hooks: a clean environment, the stanza's own IF_* and nothing of
        # the caller's (`IF_WAIT_DAD=garbage ifup eth0` must not reach a stanza without options).
        env = clean_environment(self.logger.isEnabledFor(logging.INFO))
        env.update((k, v) for k, v in ifaceobj.get_env().items() if k.startswith("IF_"))
        env.update(netguard.hook_environment(ifaceobj.get_attr_value))
        env.update(
            IFACE=ifaceobj.name,
            LOGICAL=ifaceobj.name,
            METHOD=ifaceobj.addr_method or "",
            ADDRFAM=",".join(ifaceobj.addr_family or []),
            MODE="start" if "up" in operation else "stop",
            PHASE=operation,
        )
        try:
            too_long = [k for k, v in env.items() if len(k) + len(v) + 2 > MAX_ARG_STRLEN]
            if too_long:
                option = too_long[0][3:].lower().replace("_", "-")
                raise OSError(
                    f"netguard: {ifaceobj.name}: {option}: the value is {len(env[too_long[0]])} characters; "
                    "the kernel passes at most 128 KiB to a hook: shorten it (a long prefix list belongs "
                    "in the cache: netguard import)"
                )
            returncode, lines = run_hook(script, env)
        except OSError as err:  # E2BIG, ENOMEM...: one line naming the interface, and up skipped
            if operation == "pre-up":
                self._failed.add(ifaceobj.name)
            raise Exception(str(err) if str(err).startswith("netguard: ") else
                            f"netguard: {ifaceobj.name}: {operation}: cannot run the hook ({err.strerror or err})") from None  # fmt: skip
        if returncode == 0:
            for line in lines:
                self.logger.warning(line)
            return
        if operation == "pre-up":
            self._failed.add(ifaceobj.name)
        for line in lines[:-1]:
            self.logger.warning(line)
        fallback = (
            f"netguard: {ifaceobj.name}: {operation} failed (exit {returncode}); see journalctl -t netguard"
        )
        raise Exception(lines[-1] if lines else fallback)

    def _all(self, operation):
        """The hook as ifupdown 0.8 runs it before and after all interfaces of `ifup -a`."""
        env = clean_environment(self.logger.isEnabledFor(logging.INFO))
        env.update(
            IFACE="--all", LOGICAL="--all", ADDRFAM="meta", METHOD="none", MODE="start", PHASE=operation
        )
        return run_hook(hook_script(operation), env)

    def _end_run(self):
        """atexit, after ifupdown2 has done every interface: one wait for all that deferred theirs."""
        returncode, lines = self._all("up")
        for line in lines if returncode else ():
            self.logger.error(line)
        for line in () if returncode else lines:
            self.logger.warning(line)
        if returncode:
            sys.stdout.flush()
            logging.shutdown()
            os._exit(1)  # the status ifupdown2 already chose cannot be changed otherwise

    def _check(self, ifaceobj, query_ifaceobj):
        """`ifquery --check`: each option a netguard feature can judge against the running kernel."""
        for option, value, holds in netguard.check(ifaceobj.name, ifaceobj.get_attr_value):
            query_ifaceobj.update_config_with_status(option, value, 0 if holds else 1)


MAX_ARG_STRLEN = 128 * 1024  # Linux: the most one "NAME=value" of an execve() environment may hold


def clean_environment(verbose=False):
    """What ifupdown 0.8 gives a hook besides the stanza's: PATH and VERBOSITY (ifupdown2 -v
    sets its logger to INFO)."""
    path = os.environ.get("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    return {"PATH": path, "VERBOSITY": "1" if verbose else "0"}


def run_hook(script, env):
    """(exit status, its non-blank lines). The hook bounds its own waits and fetches (every
    one has a deadline). Its stderr goes to a file, not a pipe: a watcher it leaves running
    (wait-dad's, until post-up) keeps stderr open and must not hold ifup."""
    with tempfile.TemporaryFile() as said:
        done = subprocess.run(
            [script], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=said
        )
        said.seek(0)
        lines = [line for line in said.read().decode("utf-8", "replace").splitlines() if line.strip()]
    return done.returncode, lines


def hook_script(operation):
    """The script ifupdown2 would have run for this operation (and skips while this addon is loaded)."""
    return f"/etc/network/{netguard.HOOK_DIRS[operation]}"
