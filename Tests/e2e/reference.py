"""leaky_relu_ computed with NumPy from the contract's formula, for every dtype, as bit patterns where it matters."""
import numpy as np


def leaky_relu(x, slope, dtype):
    if dtype == "float64":
        x = np.asarray(x, dtype=np.float64)
        return np.where(x > 0, x, x * np.float64(slope))
    if dtype == "float32":
        x = np.asarray(x, dtype=np.float32)
        return np.where(x > 0, x, x * np.float32(slope))
    if dtype == "float16":
        x = np.asarray(x, dtype=np.float16)
        wide = x.astype(np.float32)
        return np.where(wide > 0, x, (wide * np.float32(slope)).astype(np.float16))
    if dtype == "bfloat16":
        bits = np.asarray(x, dtype=np.uint16)
        return bfloat16_leaky_relu_bits(bits, slope)
    raise ValueError(dtype)


def bfloat16_to_float32(bits):
    return (np.asarray(bits, dtype=np.uint32) << 16).view(np.float32)


def float32_to_bfloat16(values):
    """Round to nearest even, NaN kept NaN."""
    wide = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((wide + 0x7FFF + ((wide >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(np.asarray(values, dtype=np.float32))
    return np.where(nan, np.uint16(0x7FC0), rounded)


def bfloat16_leaky_relu_bits(bits, slope):
    wide = bfloat16_to_float32(bits)
    return np.where(wide > 0, bits, float32_to_bfloat16(wide * np.float32(slope)))


def same_values(actual, expected):
    """Equal element by element, NaN matching NaN, signed zeros told apart."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        return False
    both_nan = np.isnan(actual) & np.isnan(expected)
    same_bits = (actual == expected) & (np.signbit(actual) == np.signbit(expected))
    return bool(np.all(both_nan | same_bits))
