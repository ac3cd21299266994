"""Writes the snnTorch interoperability fixtures of SNNInterchangeTests (NIRSnnTorchTests): `.nir` files written
by snnTorch's own exporter (`snntorch.export_nir.export_to_nir`) and the outputs snnTorch itself computes for
them on the first 6 Fashion-MNIST test images.

Run (from this folder; the venv reuses an existing torch/snnTorch install through a .pth file):
    python3 -m venv /tmp/nir2-venv
    echo /path/to/site-packages/with/torch+snntorch > /tmp/nir2-venv/lib/python3.11/site-packages/peers.pth
    /tmp/nir2-venv/bin/pip install nir nirtorch
    /tmp/nir2-venv/bin/python make_snntorch_fixtures.py [/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz]
Made with torch 2.15.0 (CPU), snnTorch 1.0.0, nirtorch 2.6, nir 1.0.8, numpy 2.4.6.

What snnTorch's exporter writes for `snn.Leaky(beta, threshold)` (export_nir.py): a NIR LIF with dt = 1e-4,
tau = dt/(1 - beta), r = tau/dt, v_leak = 0, v_threshold = threshold, v_reset = 0 -- whatever the Leaky's
reset_mechanism is. Our importer at Δt = 1e-4 maps that back to leak = 1 - Δt/tau = beta and inputGain =
Δt·r/tau = 1, snnTorch's U[t] = beta·U[t-1] + I[t]. Both networks here use reset_mechanism="zero" (the only
mechanism v_reset = 0 describes). Quirks of snnTorch 1.0.0 + nir 1.0.8 handled here:
  * a scalar beta/threshold gives LIF parameters of shape () and export_to_nir fails in nir's infer_types
    ("type mismatch: 0.output: [[8]] -> 1.input: []"); per-neuron tensors (torch.full) export fine;
  * export_to_nir needs ignore_dims=[0] (the sample's batch axis), else Input gets shape (1, N) and infer_types fails;
  * node names are the Sequential's indices ("0", "1", ...).

Fixtures (NAME.nir, NAME.json with dt, T, the inputs in NIR layout, snnTorch's output spike counts over T and its
predictions):
  snntorch_mlp   Input(784) -> Linear(784, 32) -> Leaky(beta 0.9) -> Linear(32, 10) -> Leaky(beta 0.8) -> Output
  snntorch_conv  Input(1, 28, 28) -> Conv2d(1, 4, 5, stride 2, pad 2) -> Leaky(0.85) -> AvgPool2d(2) -> Flatten
                 -> Linear(196, 10) -> Leaky(0.9) -> Output
Weights are torch's default initialisation (seeded), scaled so that the layers fire at mid rates; the input (the
image in [0, 1]) is presented at every step ("direct" encoding), T = 12 steps, float32 on the CPU.
"""
import gzip
import json
import sys

import nir
import numpy as np
import snntorch as snn
import torch
from snntorch import utils
from snntorch.export_nir import export_to_nir

T = 12
DT = 1e-4  # snnTorch's exporter's fixed dt
torch.manual_seed(2026)
torch.use_deterministic_algorithms(True)


def leaky(shape, beta, threshold=1.0, output=False):
    return snn.Leaky(beta=torch.full(shape, beta), threshold=torch.full(shape, threshold), init_hidden=True,
                     reset_mechanism="zero", output=output)


def images(path, n=6):
    with gzip.open(path) as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return torch.tensor(data[:n * 784].reshape(n, 1, 28, 28) / 255.0, dtype=torch.float32)


def simulate(net, x):
    """snnTorch's own forward pass over T steps: output spikes summed over time, per sample."""
    utils.reset(net)
    counts = torch.zeros(0)
    with torch.no_grad():
        for t in range(T):
            out = net(x)
            spk = out[0] if isinstance(out, tuple) else out
            counts = spk if t == 0 else counts + spk
    return counts


def save(name, net, x, sample_shape):
    graph = export_to_nir(net, x[:1], ignore_dims=[0])
    nir.write(f"{name}.nir", graph)
    nir.read(f"{name}.nir")  # the reference reader accepts it
    counts = simulate(net, x)
    inputs = x.reshape(x.shape[0], -1).double().tolist()
    with open(f"{name}.json", "w") as f:
        json.dump({"dt": DT, "timesteps": T, "readout": "spike-count", "inputShape": sample_shape,
                   "inputs": inputs, "outputs": counts.double().tolist(),
                   "predictions": counts.argmax(dim=1).tolist(),
                   "made": f"snntorch {snn.__version__}, torch {torch.__version__}, nir {nir.__version__}"}, f)
    print(name, "nodes", sorted(graph.nodes), "\n  counts", counts.tolist(), "\n  predictions", counts.argmax(dim=1).tolist())


x = images(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")

mlp = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 32), leaky((32,), 0.9),
                          torch.nn.Linear(32, 10), leaky((10,), 0.8, output=True))
with torch.no_grad():
    mlp[1].weight.mul_(4.0)
    mlp[3].weight.mul_(3.0)
save("snntorch_mlp", torch.nn.Sequential(*list(mlp)[1:]), x.reshape(-1, 784), [784])

conv = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 5, stride=2, padding=2), leaky((4, 14, 14), 0.85),
                           torch.nn.AvgPool2d(2), torch.nn.Flatten(), torch.nn.Linear(196, 10),
                           leaky((10,), 0.9, output=True))
with torch.no_grad():
    conv[0].weight.mul_(3.0)
    conv[4].weight.mul_(6.0)
save("snntorch_conv", conv, x, [1, 28, 28])
