# Ablation: rdmc-s with a single encoder branch (dilation 1) instead of three.
_base_ = ["./rdmc_s.py"]

model = dict(arch=dict(dilations=(1,)))
