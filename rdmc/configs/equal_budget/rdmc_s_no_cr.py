# Ablation: rdmc-s trained without the contrastive prior (0.1 MSE + (1 - SSIM) only).
_base_ = ["./rdmc_s.py"]

model = dict(loss=dict(cr_weight=0.0))
