# PReNet at the same budget as rdmc-s (data, patches, iterations, optimizer and loss: the shared
# recipe of _base_/derain_cpu.py), so that only the architecture differs. (PReNet's paper trains
# with negative SSIM on the last stage.)
_base_ = ["./_base_/derain_cpu.py"]

model = dict(arch=dict(type="PReNet", stages=6, channels=32, res_blocks=5))
