#!/usr/bin/env python3
"""Millrace's entry point: `python run.py <command>` (see `python run.py --help`)."""
import sys

from cli.main import main

if __name__ == "__main__":
    sys.exit(main())
