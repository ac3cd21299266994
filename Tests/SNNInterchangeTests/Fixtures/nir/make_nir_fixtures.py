"""Writes the NIR interoperability fixtures of SNNInterchangeTests (NIRFixtureTests) with the reference `nir`
package, and the outputs a numpy reference simulator computes for them on a few inputs.

Run (from this folder):
    python3 -m venv /tmp/nir-venv && /tmp/nir-venv/bin/pip install nir h5py numpy
    /tmp/nir-venv/bin/python make_nir_fixtures.py
Made with nir 1.0.8, h5py 3.16.0, numpy 2.4.6. Files written by snnTorch's and Norse's own exporters, with the
outputs those frameworks computed, come from make_snntorch_fixtures.py and make_norse_fixtures.py beside this one.

The simulator below is the discretisation cluster/runs/README.md ("NIR") documents, written independently of the
Swift code: forward Euler with step dt (the convention of Norse and snnTorch's NIR bridges), one step per input
frame, the input held constant over the T steps ("direct" encoding), float32 throughout:
    LIF: v <- float32(1 - dt/tau) * v + float32(dt*r/tau) * I      (v_leak = 0)
    IF:  v <- v + float32(dt*r) * I
    z = v > v_threshold;  v <- v_reset where z
with the coefficients computed in float64 and rounded once to float32. Output: spikes of the Output node summed
over T (LIF/IF last), or the last Affine's output averaged over T.

Fixtures (each NAME.nir with NAME.json holding dt, T, inputs in NIR layout and the expected outputs):
  mlp_lif     Input(12) -> Affine(8x12) -> LIF -> Affine(4x8) -> LIF -> Output: dyadic weights and inputs, so
              every sum is exact in float32 and any correct implementation agrees bit for bit.
  conv_if     Input(1,8,8) -> Conv2d(4,1,3,3,pad 1) -> IF -> AvgPool2d(2) -> Flatten -> Affine(5x64) -> LIF -> Output:
              dyadic; exercises channels-first <-> channels-last and flatten order.
  mlp_random  as mlp_lif (16 -> 10 -> 3) with Gaussian float weights: sums are rounded, so summation order may
              move a potential across the threshold; the test reports the spike-count difference.
  sumpool_scale  Input(1,8,8) -> Conv2d -> IF -> SumPool2d(2) -> Flatten -> Scale(0.5) -> Linear(5x64) -> IF -> Output
              (Sinabs/Speck style; dyadic).
  readout_linear  Input(6) -> Affine(5x6) -> LIF -> Linear(3x5) -> Output: potential (mean-potential) readout.
  exported_conv  the other direction: written by OUR exporter (snn-coord export --spec exported_conv.spec.json),
              read back with nir.read and simulated here (run that export first when the exporter changes).
Refusal fixtures (no outputs): recurrent (a LIF feeding back into its Affine), branch (Input feeding two
Affines), cuba (a CubaLIF neuron), soft_leak (LIF with v_leak != 0).
"""
import json

import nir
import numpy as np

DT = 1e-3
T = 6


def f32(x):
    return np.asarray(x, dtype=np.float32)


def dyadic(rng, shape, scale=8, denom=16, low=None):
    """Integers in [low, scale] / denom (low = -scale by default): exact in float32, sums stay exact."""
    return f32(rng.integers(-scale if low is None else low, scale + 1, size=shape) / denom)


def lif(n, tau, r, thr):
    return nir.LIF(tau=np.full(n, tau, dtype=np.float32), r=np.full(n, r, dtype=np.float32),
                   v_leak=np.zeros(n, dtype=np.float32), v_threshold=np.full(n, thr, dtype=np.float32),
                   v_reset=np.zeros(n, dtype=np.float32))


def if_(shape, r, thr):
    return nir.IF(r=np.full(shape, r, dtype=np.float32), v_threshold=np.full(shape, thr, dtype=np.float32),
                  v_reset=np.zeros(shape, dtype=np.float32))


def conv2d(x, w, b, pad):
    c_out, c_in, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    h = xp.shape[1] - kh + 1
    wd = xp.shape[2] - kw + 1
    y = np.zeros((c_out, h, wd), dtype=np.float32)
    for o in range(c_out):
        for i in range(h):
            for j in range(wd):
                y[o, i, j] = np.float32(np.sum(xp[:, i:i + kh, j:j + kw] * w[o], dtype=np.float32)) + b[o]
    return y


def avgpool(x, k):
    c, h, w = x.shape
    oh, ow = h // k, w // k
    return f32(x[:, :oh * k, :ow * k].reshape(c, oh, k, ow, k).sum(axis=(2, 4)) / np.float32(k * k))


def run(graph, order, x):
    """Simulates a chain graph (node names in order) on input x for T steps; returns the per-step outputs."""
    state = {}
    outs = []
    for _ in range(T):
        h = f32(x)
        for name in order:
            node = graph.nodes[name]
            if isinstance(node, (nir.Input, nir.Output)):
                continue
            if isinstance(node, nir.Affine):
                h = f32(node.weight @ h + node.bias)
            elif isinstance(node, nir.Linear):
                h = f32(node.weight @ h)
            elif isinstance(node, nir.Conv2d):
                h = conv2d(h, node.weight, node.bias, int(node.padding[0]))
            elif isinstance(node, nir.AvgPool2d):
                h = avgpool(h, int(node.kernel_size[0]))
            elif isinstance(node, nir.SumPool2d):
                k = int(node.kernel_size[0])
                c, hh, ww = h.shape
                h = f32(h[:, :hh // k * k, :ww // k * k].reshape(c, hh // k, k, ww // k, k).sum(axis=(2, 4)))
            elif isinstance(node, nir.Scale):
                h = f32(h * node.scale)
            elif isinstance(node, nir.Flatten):
                h = h.reshape(-1)
            elif isinstance(node, nir.LIF):
                lam = np.float32(1 - DT / np.float64(node.tau.flat[0]))
                gain = np.float32(DT * np.float64(node.r.flat[0]) / np.float64(node.tau.flat[0]))
                v = state.get(name, np.zeros_like(h))
                v = f32(lam * v + gain * h)
                z = v > node.v_threshold
                state[name] = np.where(z, node.v_reset, v).astype(np.float32)
                h = z.astype(np.float32)
            elif isinstance(node, nir.IF):
                gain = np.float32(DT * np.float64(node.r.flat[0]))
                v = state.get(name, np.zeros_like(h))
                v = f32(v + gain * h)
                z = v > node.v_threshold
                state[name] = np.where(z, node.v_reset, v).astype(np.float32)
                h = z.astype(np.float32)
            else:
                raise TypeError(type(node))
        outs.append(h)
    return np.stack(outs)


def save(name, graph, order, inputs, readout):
    nir.write(f"{name}.nir", graph)
    back = nir.read(f"{name}.nir")  # what a NIR reader sees (and proves the file is valid)
    outputs = []
    for x in inputs:
        ys = run(back, order, x)
        outputs.append((ys.sum(axis=0) if readout == "spike-count" else ys.mean(axis=0, dtype=np.float32)).tolist())
    with open(f"{name}.json", "w") as f:
        json.dump({"dt": DT, "timesteps": T, "readout": readout, "inputShape": list(np.shape(inputs[0])),
                   "inputs": [np.asarray(x, dtype=np.float64).reshape(-1).tolist() for x in inputs],
                   "outputs": outputs}, f, indent=1)
    print(name, "outputs:", outputs)


rng = np.random.default_rng(2026)

# mlp_lif: tau = 5 ms, dt = 1 ms -> leak 0.8; r chosen so the input gain dt*r/tau is 1.
g = nir.NIRGraph(
    nodes={"input": nir.Input(input_type={"input": np.array([12])}),
           "fc1": nir.Affine(weight=dyadic(rng, (8, 12)), bias=dyadic(rng, 8, 2)),
           "lif1": lif(8, 5e-3, 5.0, 1.0),
           "fc2": nir.Affine(weight=dyadic(rng, (4, 8), 16), bias=np.zeros(4, dtype=np.float32)),
           "lif2": lif(4, 2e-3, 2.0, 0.25),
           "output": nir.Output(output_type={"output": np.array([4])})},
    edges=[("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output")])
save("mlp_lif", g, ["fc1", "lif1", "fc2", "lif2"], [dyadic(rng, 12, 16, 8, low=0) for _ in range(5)], "spike-count")

# conv_if: IF with r = 1000 (input gain dt*r = 1), threshold 1.
g = nir.NIRGraph(
    nodes={"input": nir.Input(input_type={"input": np.array([1, 8, 8])}),
           "conv": nir.Conv2d(input_shape=(8, 8), weight=dyadic(rng, (4, 1, 3, 3)), stride=1, padding=1, dilation=1,
                              groups=1, bias=dyadic(rng, 4, 2)),
           "if1": if_((4, 8, 8), 1000.0, 1.0),
           "pool": nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
           "flat": nir.Flatten(input_type={"input": np.array([4, 4, 4])}, start_dim=0, end_dim=-1),
           "fc": nir.Affine(weight=dyadic(rng, (5, 64), 8, 8), bias=np.zeros(5, dtype=np.float32)),
           "lif": lif(5, 4e-3, 4.0, 1.0),
           "output": nir.Output(output_type={"output": np.array([5])})},
    edges=[("input", "conv"), ("conv", "if1"), ("if1", "pool"), ("pool", "flat"), ("flat", "fc"), ("fc", "lif"),
           ("lif", "output")])
save("conv_if", g, ["conv", "if1", "pool", "flat", "fc", "lif"], [dyadic(rng, (1, 8, 8), 16, 8, low=0) for _ in range(4)],
     "spike-count")

# mlp_random: Gaussian weights, tau 3 ms (leak 2/3), r 3 (gain 1).
g = nir.NIRGraph(
    nodes={"input": nir.Input(input_type={"input": np.array([16])}),
           "fc1": nir.Affine(weight=f32(rng.normal(0, 0.6, (10, 16))), bias=f32(rng.normal(0, 0.1, 10))),
           "lif1": lif(10, 3e-3, 3.0, 1.0),
           "fc2": nir.Affine(weight=f32(rng.normal(0, 0.8, (3, 10))), bias=f32(rng.normal(0, 0.1, 3))),
           "lif2": lif(3, 3e-3, 3.0, 0.5),
           "output": nir.Output(output_type={"output": np.array([3])})},
    edges=[("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output")])
save("mlp_random", g, ["fc1", "lif1", "fc2", "lif2"], [f32(rng.uniform(0, 1, 16)) for _ in range(8)], "spike-count")

# readout_linear: last node is a Linear (no neuron): mean-potential readout.
g = nir.NIRGraph(
    nodes={"input": nir.Input(input_type={"input": np.array([6])}),
           "fc1": nir.Affine(weight=dyadic(rng, (5, 6)), bias=dyadic(rng, 5, 2)),
           "lif1": lif(5, 2e-3, 2.0, 0.5),
           "fc2": nir.Linear(weight=dyadic(rng, (3, 5))),
           "output": nir.Output(output_type={"output": np.array([3])})},
    edges=[("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "output")])
save("readout_linear", g, ["fc1", "lif1", "fc2"], [dyadic(rng, 6, 16, 8) for _ in range(3)], "mean-potential")

# sumpool_scale: Sinabs/Speck style: bias-free conv, IF, SumPool2d, Flatten, Scale, Linear, IF.
g = nir.NIRGraph(
    nodes={"input": nir.Input(input_type={"input": np.array([1, 8, 8])}),
           "conv": nir.Conv2d(input_shape=(8, 8), weight=dyadic(rng, (4, 1, 3, 3)), stride=1, padding=1, dilation=1,
                              groups=1, bias=np.zeros(4, dtype=np.float32)),
           "if1": if_((4, 8, 8), 1000.0, 1.0),
           "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
           "flat": nir.Flatten(input_type={"input": np.array([4, 4, 4])}, start_dim=0, end_dim=-1),
           "half": nir.Scale(scale=np.full(64, 0.5, dtype=np.float32)),
           "fc": nir.Linear(weight=dyadic(rng, (5, 64), 8, 16)),
           "if2": if_(5, 1000.0, 1.0),
           "output": nir.Output(output_type={"output": np.array([5])})},
    edges=[("input", "conv"), ("conv", "if1"), ("if1", "pool"), ("pool", "flat"), ("flat", "half"), ("half", "fc"),
           ("fc", "if2"), ("if2", "output")])
save("sumpool_scale", g, ["conv", "if1", "pool", "flat", "half", "fc", "if2"],
     [dyadic(rng, (1, 8, 8), 16, 8, low=0) for _ in range(4)], "spike-count")

# Refusals.
nir.write("recurrent.nir", nir.NIRGraph(
    nodes={"input": nir.Input(input_type={"input": np.array([3])}),
           "fc": nir.Affine(weight=f32(np.eye(3)), bias=np.zeros(3, dtype=np.float32)),
           "lif": lif(3, 5e-3, 5.0, 1.0),
           "rec": nir.Linear(weight=f32(np.eye(3) * 0.5)),
           "output": nir.Output(output_type={"output": np.array([3])})},
    edges=[("input", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "fc"), ("lif", "output")],
    type_check=False))
nir.write("branch.nir", nir.NIRGraph(
    nodes={"input": nir.Input(input_type={"input": np.array([3])}),
           "a": nir.Affine(weight=f32(np.eye(3)), bias=np.zeros(3, dtype=np.float32)),
           "b": nir.Affine(weight=f32(np.eye(3)), bias=np.zeros(3, dtype=np.float32)),
           "output": nir.Output(output_type={"output": np.array([3])})},
    edges=[("input", "a"), ("input", "b"), ("a", "output"), ("b", "output")], type_check=False))
nir.write("cuba.nir", nir.NIRGraph(
    nodes={"input": nir.Input(input_type={"input": np.array([3])}),
           "fc": nir.Affine(weight=f32(np.eye(3)), bias=np.zeros(3, dtype=np.float32)),
           "cuba": nir.CubaLIF(tau_syn=np.full(3, 2e-3, dtype=np.float32), tau_mem=np.full(3, 5e-3, dtype=np.float32),
                               r=np.ones(3, dtype=np.float32), v_leak=np.zeros(3, dtype=np.float32),
                               v_threshold=np.ones(3, dtype=np.float32)),
           "output": nir.Output(output_type={"output": np.array([3])})},
    edges=[("input", "fc"), ("fc", "cuba"), ("cuba", "output")]))
leaky = lif(3, 5e-3, 5.0, 1.0)
leaky.v_leak = np.full(3, 0.25, dtype=np.float32)
nir.write("soft_leak.nir", nir.NIRGraph(
    nodes={"input": nir.Input(input_type={"input": np.array([3])}),
           "fc": nir.Affine(weight=f32(np.eye(3)), bias=np.zeros(3, dtype=np.float32)),
           "lif": leaky,
           "output": nir.Output(output_type={"output": np.array([3])})},
    edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")]))

# The other direction: exported_conv.nir was written by OUR exporter (`snn-coord export --nir exported_conv.nir
# --spec exported_conv.spec.json`, the spec's initial network). Read it with the reference reader and simulate it
# with the numpy simulator above; the Swift test runs our own network on the same inputs and compares.
back = nir.read("exported_conv.nir")
DT = float(back.metadata["dt"])
T = int(back.metadata["timesteps"])
chain = ["conv1", "lif1", "avgpool1", "flatten1", "fc1", "lif2"]
inputs = [f32(rng.uniform(0, 1, (2, 8, 8))) for _ in range(6)]
outputs = [run(back, chain, x).sum(axis=0).tolist() for x in inputs]
with open("exported_conv.json", "w") as f:
    json.dump({"dt": DT, "timesteps": T, "readout": "spike-count", "inputShape": [2, 8, 8],
               "inputs": [np.asarray(x, dtype=np.float64).reshape(-1).tolist() for x in inputs], "outputs": outputs}, f, indent=1)
print("exported_conv outputs:", outputs)
