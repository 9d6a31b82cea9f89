#!/bin/sh
# The sample's lint: every shell file parses.
set -e
for f in *.sh; do sh -n "$f" && echo "ok - $f parses"; done
