# Frozen: the RDMC-SE ablation row of ../../equal_budget/rdmc_s_t1.py as it trained (see
# ./rdmc_se_s.py).
_base_ = ["./rdmc_se_s.py"]

model = dict(arch=dict(stages=1))
