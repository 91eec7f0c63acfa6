# The authors' protocol (Jzy2017/DRNet train.py) on your own paired data, e.g. RainTrainH and
# Rain100H:
#
#   rdmc train rdmc-rain100h --cfg-options data_root=RainTrainH val_root=Rain100H
#
# Their network (`rdmc` preset) with the searched recruitment: DARTS on a held-out half of the
# patches, architecture optimizer Adam 3e-4, betas (0.5, 0.999), weight decay 1e-3. Weights:
# Adam 1e-3, MultiStepLR at epochs 30/50/80 x0.2, 150 epochs, batch 8, dense 128x128 patches
# with stride 80 (use patch_stride 100 for Rain12600), no flips. Loss on the final stage only.
# Ours, kept as in every rdmc config (README's fidelity table): the contrastive term sends a
# gradient (theirs is detached: set model.loss.contrastive.cr_gradient=False), its feature
# network is EfficientNet-Lite0 (no VGG19 weights can be had offline: give yours with
# model.loss.contrastive.extractor=vgg19 model.loss.contrastive.weights_path=FILE), and the
# search ends at epoch 30 and keeps 2 "down" and 2 "up" paths.
# The network, loss and the two optimizers come from rdmc.py; data and schedule are theirs here.
_base_ = ["./rdmc.py"]

data_root = "{data_root}"  # training pairs, any layout `rdmc data check` knows
val_root = "{val_root}"  # test pairs, scored every 10 epochs (PSNR/SSIM on Y)

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(_delete_=True, type="DefaultSampler", shuffle=True),
    dataset=dict(
        _delete_=True,
        type="SearchSplitDataset",
        train_portion=0.5,
        dataset=dict(type="PairedRainDataset", root=data_root, patch_size=128, patch_stride=80),
    ),
)
val_dataloader = dict(dataset=dict(_delete_=True, type="PairedRainDataset", root=val_root))

param_scheduler = dict(
    _delete_=True,
    weights=[dict(type="MultiStepLR", by_epoch=True, milestones=[30, 50, 80], gamma=0.2)],
    architecture=[],
)
train_cfg = dict(_delete_=True, type="EpochBasedTrainLoop", max_epochs=150, val_interval=10)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=3, max_keep_ckpts=2))
custom_hooks = [
    dict(type="RecruitmentSearchHook", search_epochs=30, keep_down=2, keep_up=2),
    dict(type="ExportDerainerHook", metric="derain/psnr"),
]
log_processor = dict(by_epoch=True)
