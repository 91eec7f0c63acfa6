# Restormer-lite (the zoo's `restormer-lite`) on the retraining schedule.
_base_ = ["./_schedule.py"]

model = dict(arch=dict(type="RestormerLite", width=32, blocks=(1, 2, 2, 1), heads=(1, 2, 4)))
