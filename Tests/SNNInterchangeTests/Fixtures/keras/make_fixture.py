#!/usr/bin/env python3
"""Makes the Keras fixtures of Tests/SNNInterchangeTests (issue 10): a small CNN of the kind ECC converts
(conv -> BN -> ReLU -> average pooling, twice, then dense softmax), trained briefly on a Fashion-MNIST slice,
saved as a Keras 3 `.keras` file and as a legacy `.h5` file, with the outputs Keras itself computes for the first
8 test images (`outputs.json`: pixels scaled to [0, 1], logits before the softmax and the softmax probabilities).
Two more models exist only to be refused: one with max pooling and one channels-first.

Made with: Python 3.11, keras 3 (jax backend), jax[cpu], h5py, numpy (exact versions are written into
outputs.json). Run: python3 -m venv /root/.cache/keras-venv && /root/.cache/keras-venv/bin/pip install keras "jax[cpu]" h5py
                   KERAS_BACKEND=jax /root/.cache/keras-venv/bin/python make_fixture.py
Keras is not needed to build or test snn-cluster; only to remake these files.
"""
import gzip, json, os, struct, sys
os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np
import keras
from keras import layers

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "/usr/share/datasets/fashion-mnist"

def idx(name):
    path = os.path.join(DATA, name)
    opener = gzip.open if not os.path.exists(path) else open
    if not os.path.exists(path): path += ".gz"
    with opener(path, "rb") as f:
        raw = f.read()
    magic, n = struct.unpack(">II", raw[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", raw[8:16])
        return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, rows, cols)
    return np.frombuffer(raw[8:], dtype=np.uint8)

keras.utils.set_random_seed(7)
x = idx("train-images-idx3-ubyte")[:2000].astype("float32")[..., None] / 255.0
y = idx("train-labels-idx1-ubyte")[:2000].astype("int64")
xt = idx("t10k-images-idx3-ubyte")[:8].astype("float32")[..., None] / 255.0

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(6, 3, padding="same", use_bias=False, name="conv1"),
    layers.BatchNormalization(epsilon=1e-3, name="bn1"),
    layers.ReLU(name="relu1"),
    layers.AveragePooling2D(2, name="pool1"),
    layers.Conv2D(8, 3, padding="valid", name="conv2"),
    layers.BatchNormalization(name="bn2"),
    layers.Activation("relu", name="relu2"),
    layers.AveragePooling2D(2, name="pool2"),
    layers.Flatten(name="flatten"),
    layers.Dropout(0.2, name="drop"),
    layers.Dense(10, activation="softmax", name="out"),
])
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, batch_size=64, epochs=2, verbose=0)
probs = model.predict(xt, verbose=0)
# Logits: the input of the final softmax, from Keras's own flatten output and the Dense layer's weights.
features = keras.Model(model.inputs, model.get_layer("flatten").output).predict(xt, verbose=0)
kernel, bias = model.get_layer("out").get_weights()
logits = features @ kernel + bias
assert np.allclose(np.exp(logits) / np.exp(logits).sum(1, keepdims=True), probs, atol=1e-5)
model.save(os.path.join(HERE, "cnn.keras"))
model.save(os.path.join(HERE, "cnn.h5"))
with open(os.path.join(HERE, "outputs.json"), "w") as f:
    json.dump({"keras": keras.__version__, "backend": keras.backend.backend(), "numpy": np.__version__,
               "images": xt.reshape(8, -1).round(6).tolist(), "logits": logits.tolist(), "probabilities": probs.tolist()}, f)

maxpool = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(2, 3, activation="relu", name="c"),
                            layers.MaxPooling2D(2, name="mp"), layers.Flatten(), layers.Dense(10, activation="softmax")])
maxpool.save(os.path.join(HERE, "maxpool.keras"))
first = keras.Sequential([keras.Input(shape=(1, 28, 28)), layers.Conv2D(2, 3, data_format="channels_first", name="cf"),
                          layers.ReLU(), layers.Flatten(), layers.Dense(10, activation="softmax")])
first.save(os.path.join(HERE, "channels_first.keras"))
print("test-image predictions", probs.argmax(1).tolist())
