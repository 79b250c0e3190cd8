"""Fashion-MNIST IDX loading (gzipped or raw) and the 1000-image fixture files."""
import gzip
import os

import numpy as np
import torch

DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def _open(path):
    if os.path.exists(path):
        return open(path, "rb")
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


def read_raw_u8(path, shape):
    a = np.fromfile(path, dtype=np.uint8)
    return a.reshape(shape)
