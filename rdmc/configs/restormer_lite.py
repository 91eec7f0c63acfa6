# Restormer-lite at the same budget as rdmc-s (data, patches, iterations, optimizer and loss:
# the shared recipe of _base_/derain_cpu.py), so that only the architecture differs.
_base_ = ["./_base_/derain_cpu.py"]

model = dict(arch=dict(type="RestormerLite", width=32, blocks=(1, 2, 2, 1), heads=(1, 2, 4)))
