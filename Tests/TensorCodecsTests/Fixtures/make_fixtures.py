"""Writes the .npy fixtures the codec tests read, with NumPy itself. Run from this folder: python3 make_fixtures.py"""
import numpy as np
from numpy.lib import format as npy_format

values = np.array([[-2.0, -0.5, 0.0], [0.25, 3.0, -7.5]])


def save(name, array, version=None):
    with open(name, "wb") as handle:
        npy_format.write_array(handle, array, version=version, allow_pickle=False)


save("f4_c_v1.npy", values.astype("<f4"), version=(1, 0))
save("f8_fortran_v2.npy", np.asfortranarray(values.astype("<f8")), version=(2, 0))
save("f2_big_v3.npy", values.astype(">f2"), version=(3, 0))
save("f4_big_fortran.npy", np.asfortranarray(values.astype(">f4")), version=(1, 0))
save("f4_scalar.npy", np.array(-4.0, dtype="<f4"), version=(1, 0))
save("f8_empty.npy", np.zeros((0, 3), dtype="<f8"), version=(1, 0))
save("i4_ints.npy", np.arange(6, dtype="<i4"), version=(1, 0))
