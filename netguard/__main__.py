"""`python3 -m netguard` is the `netguard` command."""

from netguard.cli import run

run()
