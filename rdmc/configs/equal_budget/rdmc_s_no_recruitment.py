# Ablation: rdmc-s without cross-level recruitment.
_base_ = ["./rdmc_s.py"]

model = dict(arch=dict(recruitment="none"))
