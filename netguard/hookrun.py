"""HookRun: what one hook run's steps share: the context, the configuration,
and the interface's record of changes (applied.py), saved as it changes."""

from __future__ import annotations

from netguard import applied

TYPE_CHECKING = False  # typing costs every hook run ~9 ms: netguard/record.py
if TYPE_CHECKING:
    from netguard.config import Config
    from netguard.context import HookContext


class HookRun:
    def __init__(self, ctx: HookContext, config: Config) -> None:
        self.ctx = ctx
        self.config = config
        self.record = applied.load(config.state_dir, ctx.iface)

    @property
    def iface(self) -> str:
        return self.ctx.iface

    def setting(self, option: str) -> object:
        return self.ctx.options.get(option)

    def save(self) -> None:
        applied.save(self.config.state_dir, self.ctx.iface, self.record)
