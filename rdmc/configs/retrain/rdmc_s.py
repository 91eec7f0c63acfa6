# rdmc-s (the authors' structure at narrow widths, dynamic recruitment) on the retraining schedule.
_base_ = ["./_schedule.py"]

model = dict(
    arch=dict(
        type="RDMC",
        widths=(8, 16, 24, 32, 32),
        dilations=(1, 2, 3),
        stages=3,
        recruitment="dynamic",
    )
)
