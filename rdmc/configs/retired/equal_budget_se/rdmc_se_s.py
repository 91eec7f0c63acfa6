# Frozen: the network behind the RDMC-SE rows of equal_budget.json and ablations.json in
# reports/studies/equal-budget/results/ (docs/results/equal-budget.md). Those runs trained as
# equal-budget/rdmc-s when that config built RDMC-SE (rdmc/models/rdmc_se.py; the rdmc-s
# preset became the authors' network afterwards), so this config keeps that recipe for their
# reproduce commands.
_base_ = ["../../equal_budget/_schedule.py"]

model = dict(
    arch=dict(
        type="RDMCSE",
        widths=(8, 16, 24, 32, 32),
        dilations=(1, 2, 3),
        stages=3,
        recruitment="dynamic",
    )
)
