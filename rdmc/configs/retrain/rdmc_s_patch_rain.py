# rdmc-s trained on rain sized for its 128-px patches, as the shipped checkpoints were (the
# ablation of the photo-sized training rain every other retrain run gets).
_base_ = ["./rdmc_s.py"]

train_dataloader = dict(dataset=dict(streak_scale="patch"))
