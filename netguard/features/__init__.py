"""One module per option family; each declares its steps and has pure planners.

A Step says, once, what an option family does in which phase, in which
order against the others and under which error policy (errors.py); the
hook runs the steps of its phase in that order. `netguard options` and the
man page's phase column read the same declarations.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs every hook run ~9 ms: netguard/record.py
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from netguard.record import NamedTuple


class Step(NamedTuple):
    option: str  # the family's option, named in every message of the step
    phase: str
    order: int  # within the phase, lowest first; each declaration says why
    policy: str  # errors.FAIL, errors.WARN or errors.AS_CONFIGURED (wait-dad-failure)
    does: str  # for `netguard options` and the docs
