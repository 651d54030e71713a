#!/usr/bin/env bash
# tests/pysuite/run.sh — Python's own regression tests (libpython3.11-testsuite) inside the
# engine vs natively in a chroot of the same image; one python3 process per module.
#
#   tests/pysuite/run.sh                          the 20 default modules, native then engine
#   tests/pysuite/run.sh test_int test_math       only these modules
#   tests/pysuite/run.sh --native-only            check the native side / the harness
#   tests/pysuite/run.sh --engine-only test_int   engine only, native counts from the last run
#   tests/pysuite/run.sh --node                   the wasm engine in node instead of build/glassbox
#   tests/pysuite/run.sh -j 2                     two engine modules at a time
#
# Needs root (chroot + mount namespace for the native side). Builds the testsuite image
# (tools/mkimage ... --layer testsuite --out build/image-test; GLASSBOX_PYSUITE_IMAGE or
# --image overrides) if it is missing: seconds when the mkimage cache has its stages, about
# 20 s more with network access otherwise. Writes build/pysuite.md (the table),
# build/pysuite-logs/ (per-module output and per-test differences) and
# build/pysuite-native.json (native results, reused by --engine-only).
# Never writes into the cached image rootfs (overlayfs + tmpfs) nor into the image (a
# per-module --overlay file in a temp dir). Known differences: tests/pysuite/known.txt.
# Ends with "pysuite: N passed, N failed". All options: tests/pysuite/run.sh --help
exec python3 "$(dirname "$0")/pysuite.py" "$@"
