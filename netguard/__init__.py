"""netguard: ifupdown hooks that make IPv6 safe at boot.

Two problems, each turned into stanza options: addresses still tentative
(Duplicate Address Detection) when services start, and dual-stack
connections that hang because one network is unreachable over IPv6.
"""

__version__ = "0.2.0"
