"""Minimal ONNX protobuf reader (no `onnx` package needed): lists graph nodes.

/usr/bin/python3 examples/fashion-mnist/onnx_ops.py test/fixtures/repvgg.onnx [-v]
"""
import struct
import sys
from collections import Counter


def _varint(b, i):
    r = s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def fields(b):
    """Yield (field_number, wire_type, value) of a protobuf message."""
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 1:
            v = b[i:i + 8]
            i += 8
        elif wt == 2:
            n, i = _varint(b, i)
            v = b[i:i + n]
            i += n
        elif wt == 5:
            v = b[i:i + 4]
            i += 4
        else:
            raise ValueError(f"wire type {wt}")
        yield f, wt, v


def _ints(wt, v):
    if wt == 0:
        return [v if v < 1 << 63 else v - (1 << 64)]
    out, i = [], 0
    while i < len(v):
        x, i = _varint(v, i)
        out.append(x if x < 1 << 63 else x - (1 << 64))
    return out


def _attr(b):
    a = {"ints": [], "floats": []}
    for f, wt, v in fields(b):
        if f == 1:
            a["name"] = v.decode()
        elif f == 2:
            a["f"] = struct.unpack("<f", v)[0]
        elif f == 3:
            a["i"] = _ints(0, v)[0]
        elif f == 4:
            a["s"] = v.decode(errors="replace")
        elif f == 5:
            a["t"] = _tensor(v)
        elif f == 7:
            a["floats"] += (list(struct.unpack(f"<{len(v) // 4}f", v)) if wt == 2
                            else [struct.unpack("<f", v)[0]])
        elif f == 8:
            a["ints"] += _ints(wt, v)
    return a


def _tensor(b):
    t = {"dims": [], "name": ""}
    for f, wt, v in fields(b):
        if f == 1:
            t["dims"] += _ints(wt, v)
        elif f == 2:
            t["data_type"] = v
        elif f == 8:
            t["name"] = v.decode()
        elif f == 9:
            t["raw"] = v
        elif f == 7:
            t.setdefault("int64_data", []).extend(_ints(wt, v))
    return t


def tensor_values(t, limit=16):
    """Decode small int64 / float32 tensors (for printing Constant values)."""
    if "int64_data" in t:
        return t["int64_data"][:limit]
    raw = t.get("raw")
    if raw is None:
        return None
    if t.get("data_type") == 7:
        n = len(raw) // 8
        return list(struct.unpack(f"<{n}q", raw))[:limit]
    if t.get("data_type") == 1:
        n = len(raw) // 4
        return [round(x, 4) for x in struct.unpack(f"<{n}f", raw)][:limit]
    return None


def _node(b):
    n = {"input": [], "output": [], "attrs": {}, "op_type": "", "name": "", "domain": ""}
    for f, wt, v in fields(b):
        if f == 1:
            n["input"].append(v.decode())
        elif f == 2:
            n["output"].append(v.decode())
        elif f == 3:
            n["name"] = v.decode()
        elif f == 4:
            n["op_type"] = v.decode()
        elif f == 5:
            a = _attr(v)
            n["attrs"][a.pop("name")] = a
        elif f == 7:
            n["domain"] = v.decode()
    return n


def read_model(path):
    with open(path, "rb") as fh:
        b = fh.read()
    model = {"opset": {}, "nodes": [], "initializers": [], "inputs": [], "outputs": []}
    for f, wt, v in fields(b):
        if f == 8:
            d = {ff: vv for ff, _, vv in fields(v)}
            model["opset"][d.get(1, b"").decode()] = d.get(2)
        elif f == 2:
            model["producer"] = v.decode()
        elif f == 7:
            for gf, gwt, gv in fields(v):
                if gf == 1:
                    model["nodes"].append(_node(gv))
                elif gf == 5:
                    model["initializers"].append(_tensor(gv))
                elif gf in (11, 12):
                    name = next((vv.decode() for ff, _, vv in fields(gv) if ff == 1), "")
                    model["inputs" if gf == 11 else "outputs"].append(name)
    return model


def op_counts(path):
    return dict(Counter(n["op_type"] for n in read_model(path)["nodes"]))


def short_attrs(n):
    out = []
    for k, a in n["attrs"].items():
        if "i" in a:
            out.append(f"{k}={a['i']}")
        elif "f" in a:
            out.append(f"{k}={a['f']:g}")
        elif "s" in a:
            out.append(f"{k}={a['s']}")
        elif a["ints"]:
            out.append(f"{k}={a['ints']}")
        elif "t" in a:
            vals = tensor_values(a["t"], 8)
            out.append(f"{k}=tensor{a['t']['dims']}" + (f"{vals}" if vals is not None else ""))
    return " ".join(out)


def main():
    verbose = "-v" in sys.argv
    for path in [p for p in sys.argv[1:] if p != "-v"]:
        m = read_model(path)
        print(f"{path}: opset {m['opset']} inputs {m['inputs']} outputs {m['outputs']} "
              f"{len(m['nodes'])} nodes, {len(m['initializers'])} initializers")
        print("  ops:", op_counts(path))
        if verbose:
            shapes = {t["name"]: t["dims"] for t in m["initializers"]}
            for n in m["nodes"]:
                ins = [f"{i}{shapes[i]}" if i in shapes else i for i in n["input"]]
                print(f"  {n['op_type']:20s} {short_attrs(n):40s} {ins} -> {n['output']}")


if __name__ == "__main__":
    main()
