#!/bin/sh
# Prints a greeting; the sample pipeline's "product".
echo "${GREETING:-hello}, ${1:-world}!"
