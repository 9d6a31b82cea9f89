#!/bin/sh
# The sample's unit tests.
set -e
out=$(sh ./greet.sh Millrace)
[ "$out" = "${GREETING:-hello}, Millrace!" ] || { echo "FAIL: got '$out'"; exit 1; }
echo "ok 1 - greet.sh greets by name"
