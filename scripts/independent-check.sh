#!/usr/bin/env bash
# The independent check of docs/validation.md: Narayanan et al. (SC'21) Table 1, predicted with the presets as they
# are. These runs are never a calibration input: `calibrate --check` fits nothing. About ten seconds.
#
#   bash scripts/independent-check.sh > check.txt        (from anywhere; the first ./pipeplan call builds)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/scripts/independent-check"
../../pipeplan calibrate --measurements narayanan-2021-table1.json --check
