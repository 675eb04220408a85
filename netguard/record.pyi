# mypy reads this stub, not record.py: to the type checker NamedTuple is typing's, so
# `from netguard.record import NamedTuple` is one line at run time and for mypy alike.
from typing import NamedTuple as NamedTuple
