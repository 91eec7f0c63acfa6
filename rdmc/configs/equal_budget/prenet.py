# PReNet at the equal budget (the zoo's `prenet`).
_base_ = ["./_schedule.py"]

model = dict(arch=dict(type="PReNet", stages=6, channels=32, res_blocks=5))
