"""Writes h5py_fixture.h5, the file the Swift HDF5 wrapper's tests read (HDF5WrapperTests).

Run: python3 -m venv /tmp/nir-venv && /tmp/nir-venv/bin/pip install h5py numpy
     /tmp/nir-venv/bin/python make_hdf5_fixture.py   (from this folder)
Made with h5py 3.16.0 / numpy 2.4.6 / HDF5 as bundled by the h5py wheel. The expected values are written out
literally in the Swift test, so the test does not depend on this script, only on the file it wrote.
"""
import h5py
import numpy as np

with h5py.File("h5py_fixture.h5", "w") as f:
    f.attrs["title"] = "fixture"                                  # variable-length UTF-8 string attribute
    f.attrs["fixed_title"] = np.bytes_("fixed")                   # fixed-length (S5) string attribute
    f.attrs["answer"] = np.int64(42)                              # scalar int64 attribute
    f.attrs["ratio"] = np.float64(0.125)                          # scalar float64 attribute
    f.attrs["layer_names"] = np.array([b"dense", b"dense_1"])     # array of fixed strings (Keras style)
    f.attrs["vector"] = np.array([1.5, -2.0, 3.25], dtype=np.float32)

    g = f.create_group("model")
    g.create_dataset("weights", data=np.arange(6, dtype=np.float32).reshape(2, 3) / 4)   # [[0,.25,.5],[.75,1,1.25]]
    g.create_dataset("pi", data=np.float64(3.141592653589793))                           # scalar float64
    g.create_dataset("counts", data=np.array([-3, 0, 7, 1 << 40], dtype=np.int64))
    g.create_dataset("grid", data=np.array([[1, 2], [3, -4]], dtype=np.int32))
    g.create_dataset("bytes", data=np.array([0, 127, 255], dtype=np.uint8))
    g.create_dataset("packed", data=np.linspace(-1, 1, 5, dtype=np.float64), compression="gzip")  # NIR's default
    g["weights"].attrs["unit"] = "volt"

    inner = g.create_group("inner")
    inner.create_dataset("type", data="LIF", dtype=h5py.string_dtype())                 # NIR's `type` dataset
    inner.create_dataset("edges", data=np.array([["in", "fc"], ["fc", "out"]], dtype=object),
                         dtype=h5py.string_dtype())                                    # 2-D variable-length strings
    inner.create_dataset("names_fixed", data=np.array([b"a", b"bcd"]))                 # fixed-length S3 strings
    inner.create_dataset("unicode", data="τ = 5 ms", dtype=h5py.string_dtype())
