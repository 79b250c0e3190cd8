"""Fashion-MNIST IDX reading and writing (gzipped or plain)."""
import gzip
import os

import numpy as np
import torch

DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def _open(path):
    if os.path.exists(path):
        return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")
    if os.path.exists(path + ".gz"):
        return gzip.open(path + ".gz", "rb")
    raise FileNotFoundError(path + "[.gz]")


def read_idx(path):
    with _open(path) as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def dataset_available(data_dir=DATA_DIR):
    try:
        for split in ("train", "t10k"):
            for kind in ("images-idx3", "labels-idx1"):
                _open(os.path.join(data_dir, f"{split}-{kind}-ubyte")).close()
        return True
    except FileNotFoundError:
        return False


def load_split(split, data_dir=DATA_DIR):
    """Returns uint8 images (N,28,28) and uint8 labels (N,)."""
    images = read_idx(os.path.join(data_dir, f"{split}-images-idx3-ubyte"))
    labels = read_idx(os.path.join(data_dir, f"{split}-labels-idx1-ubyte"))
    return images, labels


def to_input(images_u8):
    """uint8 (N,28,28) -> float32 (N,1,28,28), pixel/255 (no mean/std)."""
    return torch.from_numpy(images_u8.astype(np.float32) / 255.0).unsqueeze(1)


def write_idx_gz(path, arr):
    """uint8 array -> gzipped IDX (the MNIST layout every loader reads)."""
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(header + np.ascontiguousarray(arr, np.uint8).tobytes())
