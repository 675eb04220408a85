"""`netguard` subcommands, one module each; cli.py wires them to argparse."""
