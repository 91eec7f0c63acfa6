# The equal-budget schedule behind the comparison and ablation table: the shared recipe of
# ../_base_/derain_cpu.py (data, 128x128 patches, batch 8, loss, Adam 1e-3) for 300 iterations,
# with the learning-rate steps at the same fractions of the run (60 % and 80 %). One validation,
# at the end, so best.pth and last.pth are the same final iterate for every method.
_base_ = ["../_base_/derain_cpu.py"]

train_cfg = dict(type="IterBasedTrainLoop", max_iters=300, val_interval=300)
param_scheduler = [dict(type="MultiStepLR", by_epoch=False, milestones=[180, 240], gamma=0.2)]
default_hooks = dict(checkpoint=dict(interval=100, max_keep_ckpts=1))
# Trained in float32 like the committed results it reproduces: `rdmc train` keeps it in fp32
# under --precision auto (--precision bf16 to change that).
precision = "fp32"
