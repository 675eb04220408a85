"""`python3 -m netguard` is the `netguard` command."""

import sys

from netguard.cli import main

sys.exit(main(sys.argv[1:]))
