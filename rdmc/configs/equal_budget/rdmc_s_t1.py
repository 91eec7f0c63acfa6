# Ablation: rdmc-s with one stage (T = 1), no recursion.
_base_ = ["./rdmc_s.py"]

model = dict(arch=dict(stages=1))
