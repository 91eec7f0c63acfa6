#!/usr/bin/env bash
# Scores the runs of reports/studies/equal-budget/train_equal_budget.sh into the two results files behind README's
# Results section, then prints their tables. Run it on an otherwise idle machine: the files hold
# CPU latencies.  Usage: bash reports/studies/equal-budget/score_equal_budget.sh [RUNS_DIR] [OUT_DIR]
set -euo pipefail
runs="${1:-work_dirs/equal_budget}"
out="${2:-reports/studies/equal-budget/results}"
mkdir -p "$out"
rdmc scoreboard guided-filter \
    "prenet=$runs/prenet/last.pth" \
    "prenet-c16=$runs/prenet_c16/last.pth" \
    "restormer-lite=$runs/restormer_lite/last.pth" \
    "rdmc-se-s=$runs/rdmc_se_s/last.pth" \
    "rdmc-se-s (1500 it)=rdmc-se-s" \
    --out "$out/equal_budget.json" --resume
rdmc scoreboard \
    "rdmc-se-s=$runs/rdmc_se_s/last.pth" \
    "rdmc-se-s, seed 1=$runs/rdmc_se_s_seed1/last.pth" \
    "without CR=$runs/rdmc_se_s_no_cr/last.pth" \
    "static recruitment=$runs/rdmc_se_s_static/last.pth" \
    "no recruitment=$runs/rdmc_se_s_no_recruitment/last.pth" \
    "single scale=$runs/rdmc_se_s_single_scale/last.pth" \
    "one stage (T 1)=$runs/rdmc_se_s_t1/last.pth" \
    "without BN=$runs/rdmc_se_s_no_norm/last.pth" \
    --out "$out/ablations.json" --resume
for name in equal_budget ablations; do
    rdmc tables "$out/$name.json" > "$out/$name.md"
done
