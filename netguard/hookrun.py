"""What one hook run's steps share (HookRun), below the features that take it and the hook that makes it."""

from __future__ import annotations

from netguard import applied

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from netguard.config import Config
    from netguard.context import HookContext


class HookRun:
    """What one hook run's steps share: the context, the configuration, and the
    interface's record of changes (applied.py), saved as it changes."""

    def __init__(self, ctx: HookContext, config: Config) -> None:
        self.ctx = ctx
        self.config = config
        self.record = applied.load(config.state_dir, ctx.iface)

    @property
    def iface(self) -> str:
        return self.ctx.iface

    @property
    def device(self) -> str:
        """The kernel's interface (an alias stanza's base): what probes and state reads use."""
        return self.ctx.device

    def save(self) -> None:
        applied.save(self.config.state_dir, self.ctx.iface, self.record)
