# Ablation: rdmc-s with static recruitment (one learned scalar per path, as the searched mask).
_base_ = ["./rdmc_s.py"]

model = dict(arch=dict(recruitment="static"))
