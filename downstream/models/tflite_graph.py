"""A TFLite model file run as a PyTorch module (float models, the ops MediaPipe uses).

The file is parsed with the ``tflite`` package (TFLite's flatbuffer schema);
every operator becomes the equivalent torch call, and every constant a buffer
(fp16 constants behind DEQUANTIZE are widened to float32 once, at load time).
Activations are kept NCHW inside; the module takes and returns NCHW tensors.

Supported operators: CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MEAN, ADD, MUL,
RELU, HARD_SWISH, LOGISTIC, RESIZE_BILINEAR, DEQUANTIZE and MediaPipe's custom
``Convolution2DTransposeBias`` (a transposed convolution with bias). Anything
else is refused with a message naming the operator.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tflite
import torch
import torch.nn.functional as F
from torch import nn

_BUILTIN_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_TYPE_TO_NUMPY = {
    tflite.TensorType.FLOAT32: np.float32,
    tflite.TensorType.FLOAT16: np.float16,
    tflite.TensorType.INT32: np.int32,
}
_SAME, _VALID = tflite.Padding.SAME, tflite.Padding.VALID
_ACTIVATIONS = {
    tflite.ActivationFunctionType.NONE: lambda x: x,
    tflite.ActivationFunctionType.RELU: F.relu,
    tflite.ActivationFunctionType.RELU6: F.relu6,
}


@dataclass
class Op:
    kind: str
    inputs: list[int]
    outputs: list[int]
    options: dict


def _tf_same_pads(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    effective = (kernel - 1) * dilation + 1
    total = max((math.ceil(size / stride) - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def _options(op: tflite.Operator, cls: type) -> object:
    table = op.BuiltinOptions()
    options = cls()
    options.Init(table.Bytes, table.Pos)
    return options


def _parse_op(kind: str, op: tflite.Operator) -> dict:
    if kind == "CONV_2D":
        o = _options(op, tflite.Conv2DOptions)
        return dict(
            padding=o.Padding(),
            stride=(o.StrideH(), o.StrideW()),
            dilation=(o.DilationHFactor(), o.DilationWFactor()),
            act=o.FusedActivationFunction(),
        )
    if kind == "DEPTHWISE_CONV_2D":
        o = _options(op, tflite.DepthwiseConv2DOptions)
        return dict(
            padding=o.Padding(),
            stride=(o.StrideH(), o.StrideW()),
            dilation=(o.DilationHFactor(), o.DilationWFactor()),
            act=o.FusedActivationFunction(),
            multiplier=o.DepthMultiplier(),
        )
    if kind == "AVERAGE_POOL_2D":
        o = _options(op, tflite.Pool2DOptions)
        return dict(
            padding=o.Padding(),
            stride=(o.StrideH(), o.StrideW()),
            kernel=(o.FilterHeight(), o.FilterWidth()),
            act=o.FusedActivationFunction(),
        )
    if kind in ("ADD", "MUL"):
        cls = tflite.AddOptions if kind == "ADD" else tflite.MulOptions
        return dict(act=_options(op, cls).FusedActivationFunction())
    if kind == "RESIZE_BILINEAR":
        o = _options(op, tflite.ResizeBilinearOptions)
        return dict(align_corners=bool(o.AlignCorners()), half_pixel=bool(o.HalfPixelCenters()))
    if kind == "Convolution2DTransposeBias":
        # MediaPipe's custom options: int32 padding, stride_width, stride_height
        padding, stride_w, stride_h = np.frombuffer(op.CustomOptionsAsNumpy().tobytes(), np.int32)[
            :3
        ]
        return dict(padding=int(padding), stride=(int(stride_h), int(stride_w)))
    if kind == "MEAN":
        return dict(keep_dims=bool(_options(op, tflite.ReducerOptions).KeepDims()))
    if kind in ("RELU", "HARD_SWISH", "LOGISTIC", "DEQUANTIZE"):
        return {}
    raise ValueError(f"TFLite operator {kind} is not supported")


class TFLiteGraph(nn.Module):
    """Runs the first subgraph of a float TFLite model in PyTorch (NCHW in and out)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        data = Path(path).read_bytes()
        model = tflite.Model.GetRootAsModel(data, 0)
        graph = model.Subgraphs(0)
        codes = []
        for i in range(model.OperatorCodesLength()):
            code = model.OperatorCodes(i)
            builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            name = _BUILTIN_NAMES.get(builtin, str(builtin))
            codes.append(code.CustomCode().decode() if name == "CUSTOM" else name)
        self.shapes = {
            i: graph.Tensors(i).ShapeAsNumpy().tolist() for i in range(graph.TensorsLength())
        }
        constants: dict[int, np.ndarray] = {}
        for i in range(graph.TensorsLength()):
            tensor = graph.Tensors(i)
            buffer = model.Buffers(tensor.Buffer())
            if buffer is not None and buffer.DataLength() > 0:
                dtype = _TYPE_TO_NUMPY.get(tensor.Type())
                if dtype is None:
                    raise ValueError(f"{path}: tensor type {tensor.Type()} is not supported")
                raw = buffer.DataAsNumpy().tobytes()
                constants[i] = np.frombuffer(raw, dtype).reshape(self.shapes[i])
        self.ops: list[Op] = []
        for i in range(graph.OperatorsLength()):
            op = graph.Operators(i)
            kind = codes[op.OpcodeIndex()]
            inputs = [op.Inputs(j) for j in range(op.InputsLength())]
            outputs = [op.Outputs(j) for j in range(op.OutputsLength())]
            if kind == "DEQUANTIZE" and inputs[0] in constants:
                constants[outputs[0]] = constants[inputs[0]].astype(np.float32)
                continue
            self.ops.append(Op(kind, inputs, outputs, _parse_op(kind, op)))
        self.input_index = graph.Inputs(0)
        self.output_index = graph.Outputs(0)
        self._traced: dict[tuple, torch.jit.ScriptModule] = {}
        used = {t for op in self.ops for t in op.inputs if t in constants}
        for index in sorted(used):
            self.register_buffer(f"t{index}", self._to_torch_layout(index, constants[index]))

    def _to_torch_layout(self, index: int, value: np.ndarray) -> torch.Tensor:
        consumer = next(op for op in self.ops if index in op.inputs)
        position = consumer.inputs.index(index)
        t = torch.from_numpy(
            np.array(value, dtype=np.float32 if value.dtype != np.int32 else np.int32)
        )
        if consumer.kind == "CONV_2D" and position == 1:
            return t.permute(0, 3, 1, 2).contiguous()  # OHWI -> OIHW
        if consumer.kind == "DEPTHWISE_CONV_2D" and position == 1:
            return t.permute(3, 0, 1, 2).contiguous()  # 1HW(C*m) -> (C*m)1HW
        if consumer.kind == "Convolution2DTransposeBias" and position == 1:
            return t.permute(3, 0, 1, 2).contiguous()  # OHWI -> IOHW
        if t.ndim == 4:
            return t.permute(0, 3, 1, 2).contiguous()  # NHWC constants -> NCHW
        if consumer.kind in ("ADD", "MUL") and t.ndim == 1:
            return t.view(1, -1, 1, 1)  # per-channel constants broadcast over C, not W
        return t

    def _value(self, index: int, values: dict[int, torch.Tensor]) -> torch.Tensor:
        return values[index] if index in values else getattr(self, f"t{index}")

    def _pad_same(self, x: torch.Tensor, kernel, stride, dilation=(1, 1)) -> torch.Tensor:
        top, bottom = _tf_same_pads(x.shape[2], kernel[0], stride[0], dilation[0])
        left, right = _tf_same_pads(x.shape[3], kernel[1], stride[1], dilation[1])
        return F.pad(x, (left, right, top, bottom))

    def _run(self, op: Op, args: list[torch.Tensor]) -> torch.Tensor:
        o = op.options
        if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            x, weight = args[0], args[1]
            bias = args[2] if len(args) > 2 else None
            if o["padding"] == _SAME:
                x = self._pad_same(x, weight.shape[2:], o["stride"], o["dilation"])
            groups = x.shape[1] if op.kind == "DEPTHWISE_CONV_2D" else 1
            y = F.conv2d(x, weight, bias, o["stride"], 0, o["dilation"], groups)
            return _ACTIVATIONS[o["act"]](y)
        if op.kind == "AVERAGE_POOL_2D":
            x = args[0]
            if o["padding"] == _SAME:
                ones = torch.ones_like(x[:, :1])
                summed = F.avg_pool2d(
                    self._pad_same(x, o["kernel"], o["stride"]), o["kernel"], o["stride"]
                )
                count = F.avg_pool2d(
                    self._pad_same(ones, o["kernel"], o["stride"]), o["kernel"], o["stride"]
                )
                y = summed / count  # TFLite averages over the valid (unpadded) pixels only
            else:
                y = F.avg_pool2d(x, o["kernel"], o["stride"])
            return _ACTIVATIONS[o["act"]](y)
        if op.kind == "MEAN":
            nchw = {0: 0, 1: 2, 2: 3, 3: 1}  # TFLite's NHWC axes in our NCHW layout
            axes = [nchw[int(a) % 4] for a in args[1].reshape(-1).tolist()]
            return args[0].mean(dim=axes, keepdim=o["keep_dims"])
        if op.kind == "ADD":
            return _ACTIVATIONS[o["act"]](args[0] + args[1])
        if op.kind == "MUL":
            return _ACTIVATIONS[o["act"]](args[0] * args[1])
        if op.kind == "RELU":
            return F.relu(args[0])
        if op.kind == "HARD_SWISH":
            return F.hardswish(args[0])
        if op.kind == "LOGISTIC":
            return torch.sigmoid(args[0])
        if op.kind == "RESIZE_BILINEAR":
            size = [int(v) for v in args[1].tolist()]
            if o["align_corners"]:
                return F.interpolate(args[0], size=size, mode="bilinear", align_corners=True)
            if not o["half_pixel"]:
                raise ValueError("RESIZE_BILINEAR without half-pixel centers is not supported")
            return F.interpolate(args[0], size=size, mode="bilinear", align_corners=False)
        if op.kind == "Convolution2DTransposeBias":
            if o["padding"] != _VALID:
                raise ValueError("Convolution2DTransposeBias with SAME padding is not supported")
            return F.conv_transpose2d(args[0], args[1], args[2], stride=o["stride"])
        raise ValueError(f"TFLite operator {op.kind} is not supported")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Without autograd, through a TorchScript trace of the graph for this input's shape,
        dtype and device (made on first use; the op-by-op Python loop is most of the cost of
        a small model such as the selfie segmenter's); with autograd, op by op."""
        if torch.is_grad_enabled() and x.requires_grad:
            return self.run_ops(x)
        signature = (tuple(x.shape), x.dtype, x.device)
        traced = self._traced.get(signature)
        if traced is None:
            with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
                # the shapes it reads become constants: right for this signature only
                warnings.simplefilter("ignore", torch.jit.TracerWarning)
                traced = torch.jit.trace(_OpByOp(self), x.clone(), check_trace=False)
            self._traced[signature] = traced
        return traced(x)

    def run_ops(self, x: torch.Tensor) -> torch.Tensor:
        """The graph op by op (SAME pads and resize sizes follow the input's shape)."""
        values = {self.input_index: x}
        for op in self.ops:
            args = [self._value(i, values) for i in op.inputs if i >= 0]
            values[op.outputs[0]] = self._run(op, args)
        return values[self.output_index]

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_traced": {}}  # copies and pickles trace again

    def _apply(self, fn, recurse: bool = True):
        self._traced = {}  # traces hold the former tensors; trace again after .to(...)
        return super()._apply(fn, recurse)


class _OpByOp(nn.Module):
    """What a trace records: the graph's op-by-op run (a module, so the trace keeps its
    constants as the graph's buffers)."""

    def __init__(self, graph: TFLiteGraph) -> None:
        super().__init__()
        self.graph = graph

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.graph.run_ops(x)
