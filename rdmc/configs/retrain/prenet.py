# PReNet (the zoo's `prenet`) on the retraining schedule.
_base_ = ["./_schedule.py"]

model = dict(arch=dict(type="PReNet", stages=6, channels=32, res_blocks=5))
