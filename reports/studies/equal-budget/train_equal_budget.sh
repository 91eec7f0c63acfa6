#!/usr/bin/env bash
# Trains every row of the equal-budget comparison and ablation table, one after another, into
# ${1:-work_dirs/equal_budget}/<config>/: the peers from rdmc/configs/equal_budget/, the RDMC-SE
# rows from their frozen configs in rdmc/configs/retired/equal_budget_se/ (they trained before
# the rdmc-s preset became the authors' network). A finished
# run (last.pth present) is skipped and an interrupted one resumes, so rerunning continues.
# Then score them with: bash reports/studies/equal-budget/score_equal_budget.sh DIR
set -euo pipefail
out="${1:-work_dirs/equal_budget}"
se=retired/equal_budget_se/rdmc_se_s
configs="equal_budget/prenet equal_budget/restormer_lite equal_budget/prenet_c16 $se ${se}_t1 ${se}_single_scale ${se}_no_cr ${se}_static ${se}_no_recruitment ${se}_no_norm ${se}_seed1"
for config in $configs; do
    name="${config##*/}"
    dir="$out/$name"
    if [ -f "$dir/last.pth" ]; then
        echo "$name: done already"
        continue
    fi
    resume=()
    if ls "$dir"/iter_*.pth >/dev/null 2>&1; then resume=(--resume); fi
    echo "$name: training ($(date -u +%H:%M:%S))"
    rdmc train "rdmc/configs/$config.py" --work-dir "$dir" "${resume[@]}"
done
