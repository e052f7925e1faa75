"""The local stack: its parts, their supervision by supervisord, the gateway and the CLI.

`python3 stack/hoso_stack.py` is the entry point; docs/operations.md describes the commands.
"""
