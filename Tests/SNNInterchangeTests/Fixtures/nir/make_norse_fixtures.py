"""Writes the Norse interoperability fixture of SNNInterchangeTests (NIRNorseTests): a `.nir` file written by
Norse's own exporter (`norse.torch.to_nir`) and the output spike counts Norse itself computes on the first 6
Fashion-MNIST test images.

Run (from this folder, in the venv of make_snntorch_fixtures.py plus `pip install norse`):
    /tmp/nir2-venv/bin/python make_norse_fixtures.py [/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz]
Made with torch 2.15.0 (CPU), Norse 1.1.0, nir 1.0.8.

What Norse 1.1.0's exporter writes for `LIFBoxCell(p)` (norse/torch/utils/export_nir.py): a NIR LIF with
tau = dt / p.tau_mem_inv (dt = 1e-3 by default), r = 1, v_leak = p.v_leak, v_threshold = p.v_th and nir's default
v_reset 0. Norse's step is v <- v + dt·tau_mem_inv·(v_leak − v + I), then z = v > v_th, v <- v_reset where z. So
Norse's `tau` is dt times the time constant 1/tau_mem_inv, not the time constant itself: read with NIR's
continuous-time semantics (tau·dv/dt = ...) the file only describes Norse's network at a step of dt², here
Δt = 1e-6: leak = 1 − Δt/tau = 1 − dt·tau_mem_inv and inputGain = Δt·r/tau = dt·tau_mem_inv, Norse's own update.

Fixture (NAME.nir, NAME.json with dt (the Δt to import at), T, inputs, Norse's output spike counts, predictions):
  norse_mlp   Input(784) -> Linear(784, 32) -> LIFBox(tau_mem_inv 200) -> Linear(32, 10) -> LIFBox(250) -> Output
Weights: torch's default initialisation (seeded) scaled to mid firing rates; the image in [0, 1] is the input at
every step, T = 12, float32 on the CPU.
"""
import gzip
import json
import sys

import nir
import norse
import norse.torch as nt
import numpy as np
import torch

T = 12
NORSE_DT = 1e-3
torch.manual_seed(2027)


def images(path, n=6):
    with gzip.open(path) as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return torch.tensor(data[:n * 784].reshape(n, 784) / 255.0, dtype=torch.float32)


def lifbox(n, inv):
    """Per-neuron parameters: scalar ones become shape-() datasets, which nir.write's compressed h5py refuses."""
    return nt.LIFBoxCell(nt.LIFBoxParameters(tau_mem_inv=torch.full((n,), inv), v_th=torch.ones(n),
                                             v_reset=torch.zeros(n), v_leak=torch.zeros(n)), dt=NORSE_DT)


x = images(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
net = nt.SequentialState(torch.nn.Linear(784, 32), lifbox(32, 200.0), torch.nn.Linear(32, 10), lifbox(10, 250.0))
with torch.no_grad():
    net[0].weight.mul_(20.0)
    net[2].weight.mul_(12.0)
    state, counts = None, torch.zeros(x.shape[0], 10)
    for _ in range(T):
        z, state = net(x, state)
        counts = counts + z
graph = nt.to_nir(net, x[0], dt=NORSE_DT)  # a sample without the batch axis, else Input is (1, 784)
nir.write("norse_mlp.nir", graph)
nir.read("norse_mlp.nir")
with open("norse_mlp.json", "w") as f:
    json.dump({"dt": NORSE_DT * NORSE_DT, "timesteps": T, "readout": "spike-count", "inputShape": [784],
               "inputs": x.double().tolist(), "outputs": counts.double().tolist(),
               "predictions": counts.argmax(dim=1).tolist(),
               "made": f"norse {norse.__version__}, torch {torch.__version__}, nir {nir.__version__}"}, f)
print("norse_mlp nodes", {k: type(n).__name__ for k, n in graph.nodes.items()}, "\n  counts", counts.tolist(),
      "\n  predictions", counts.argmax(dim=1).tolist())
