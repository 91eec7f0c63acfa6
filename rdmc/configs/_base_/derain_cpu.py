# Shared recipe: the embedded training photos with synthetic rain (light and heavy,
# severities 2-4, random per sample), 128x128 patches, Adam, validation PSNR/SSIM
# (Y channel) on the embedded val split under heavy rain. Sized for a 2-core CPU.
default_scope = "rdmc"

# The loss every learned derainer trains with: 0.1 MSE + (1 - SSIM) + 0.1 CR on every stage
# (ours; the authors supervise the last stage only: supervise="last", see configs/rdmc.py).
model = dict(
    type="DerainModel",
    loss=dict(
        type="DerainLoss",
        supervise="all",
        mse_weight=0.1,
        ssim_weight=1.0,
        cr_weight=0.1,
        contrastive=dict(extractor="efficientnet-lite0"),
    ),
)

train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type="InfiniteSampler", shuffle=True),
    collate_fn=dict(type="default_collate"),
    dataset=dict(
        type="SyntheticRainDataset",
        root="samples:train",
        mode="train",
        presets=("light", "heavy"),
        severities=(2, 3, 4),
        patch_size=128,
        flip=True,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type="DefaultSampler", shuffle=False),
    collate_fn=dict(type="default_collate"),
    dataset=dict(type="SyntheticRainDataset", root="samples:val", mode="test", presets=("heavy",)),
)
val_evaluator = dict(type="DerainMetric")

train_cfg = dict(type="IterBasedTrainLoop", max_iters=1500, val_interval=250)
val_cfg = dict(type="ValLoop")

optim_wrapper = dict(type="OptimWrapper", optimizer=dict(type="Adam", lr=1e-3))
param_scheduler = [dict(type="MultiStepLR", by_epoch=False, milestones=[900, 1200], gamma=0.2)]

default_hooks = dict(
    timer=dict(type="IterTimerHook"),
    logger=dict(type="LoggerHook", interval=10),
    param_scheduler=dict(type="ParamSchedulerHook"),
    checkpoint=dict(type="CheckpointHook", by_epoch=False, interval=250, max_keep_ckpts=2),
    sampler_seed=dict(type="DistSamplerSeedHook"),
)
custom_hooks = [dict(type="ExportDerainerHook", metric="derain/psnr")]
log_processor = dict(by_epoch=False)
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend="gloo"))
randomness = dict(seed=0)
