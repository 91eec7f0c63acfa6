#!/usr/bin/env bash
# Trains every row of the equal-budget comparison and ablation table, one after another
# (rdmc/configs/equal_budget/*.py), into ${1:-work_dirs/equal_budget}/<config>/. A finished
# run (last.pth present) is skipped and an interrupted one resumes, so rerunning continues.
# Then score them with: bash reports/studies/equal-budget/score_equal_budget.sh DIR
set -euo pipefail
out="${1:-work_dirs/equal_budget}"
configs="prenet restormer_lite rdmc_s rdmc_s_t1 rdmc_s_single_scale rdmc_s_no_cr rdmc_s_static rdmc_s_no_recruitment prenet_c16 rdmc_s_no_norm rdmc_s_seed1"
for name in $configs; do
    dir="$out/$name"
    if [ -f "$dir/last.pth" ]; then
        echo "$name: done already"
        continue
    fi
    resume=()
    if ls "$dir"/iter_*.pth >/dev/null 2>&1; then resume=(--resume); fi
    echo "$name: training ($(date -u +%H:%M:%S))"
    rdmc train "rdmc/configs/equal_budget/$name.py" --work-dir "$dir" "${resume[@]}"
done
