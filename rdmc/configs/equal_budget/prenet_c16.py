# PReNet with 16 channels instead of 32: 16.8 GFLOPs at 256x256, the same compute as rdmc-s
# (PReNet at 32 channels needs 66 GFLOPs), to compare the architectures at equal FLOPs too.
_base_ = ["./_schedule.py"]

model = dict(arch=dict(type="PReNet", stages=6, channels=16, res_blocks=5))
