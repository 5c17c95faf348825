#!/usr/bin/env python3
"""Generate the build context and RUN-time payload for the ml-cuda image.

Writes, under --out:
  ctx/      build context: rootfs/ (busybox, stand-in apt-get/pip/conda, an
            empty dpkg database) and models/ (a baked-in model)
  payload/  bind-mounted read-only at /mnt during RUN steps: apt/ (fake CUDA
            packages with their dpkg status stanza and .list), pypi/
            (site-packages trees with real RECORD files), conda/ (a prefix
            tree with its conda-meta record)

Every ML insight ballast reports is planted once: CUDA twice (system CUDA
12.1 and pip's nvidia-* wheels), two CUDA versions (12.1 and 11.8), a CUDA
-devel toolkit (nvcc, headers, a static library), numpy in three
environments (system site-packages, a venv, conda), an unstripped C
extension (compiled here with `gcc -g3`), and a 12 MB model file.

Library content is SHAKE-256 output keyed by --seed and path, so it does not
compress and no two libraries share content. The model is mostly zeros so
the gzip OCI archive stays far under 5 MB.
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = None


def rbytes(tag, n):
    return hashlib.shake_256(f"{SEED}:{tag}".encode()).digest(n)


def elf_like(tag, n):
    """Random bytes behind an ELF magic: a stand-in shared library. Its
    header points nowhere, as a fake should."""
    head = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x03\x00\x3e\x00"
    return head + rbytes(tag, n - len(head))


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    return data


def symlink(path, target):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(target, path)


def ar_archive(members):
    out = bytearray(b"!<arch>\n")
    for name, data in members:
        hdr = f"{name:<16}{0:<12}{0:<6}{0:<6}{0o100644:<8o}{len(data):<10}`\n"
        out += hdr.encode() + data
        if len(data) % 2:
            out += b"\n"
    return bytes(out)


def record_hash(data):
    d = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(d).rstrip(b"=").decode()


def apt_package(pl, name, version, files, links=()):
    """files: {abs path: bytes}; links: [(abs path, target)]."""
    d = os.path.join(pl, "apt", name)
    listed = set()
    for path, data in files.items():
        write(os.path.join(d, "root", path.lstrip("/")), data)
    for path, target in links:
        symlink(os.path.join(d, "root", path.lstrip("/")), target)
    for path in list(files) + [p for p, _ in links]:
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            listed.add("/" + "/".join(parts[:i]))
    write(os.path.join(d, "list"), "/.\n" + "".join(p + "\n" for p in sorted(listed)))
    write(os.path.join(d, "status"),
          f"Package: {name}\nStatus: install ok installed\nPriority: optional\n"
          f"Architecture: amd64\nVersion: {version}\nDescription: {name} (sample)\n\n")


def pip_package(pl, key, dist, version, files):
    """files: {path relative to site-packages: bytes}; writes a real RECORD."""
    d = os.path.join(pl, "pypi", key)
    info = f"{dist}-{version}.dist-info"
    files = dict(files)
    files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n".encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: sample\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n"
    files[f"{info}/INSTALLER"] = b"pip\n"
    rows = []
    for rel, data in sorted(files.items()):
        write(os.path.join(d, rel), data)
        rows.append(f"{rel},{record_hash(data)},{len(data)}\n")
    rows.append(f"{info}/RECORD,,\n")
    write(os.path.join(d, info, "RECORD"), "".join(rows))
    return files


def main():
    global SEED
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--busybox", default="/bin/busybox")
    ap.add_argument("--cc", default="gcc")
    a = ap.parse_args()
    SEED = a.seed
    out = os.path.abspath(a.out)
    if os.path.exists(out):
        shutil.rmtree(out)
    ctx = os.path.join(out, "ctx")
    pl = os.path.join(out, "payload")
    tools = os.path.join(HERE, "fake-tools")

    # ---- base rootfs ------------------------------------------------------
    rootfs = os.path.join(ctx, "rootfs")
    os.makedirs(os.path.join(rootfs, "bin"))
    shutil.copyfile(a.busybox, os.path.join(rootfs, "bin/busybox"))
    os.chmod(os.path.join(rootfs, "bin/busybox"), 0o755)
    for tool, where in (("apt-get", "usr/bin"), ("pip", "usr/local/bin"), ("conda", "usr/local/bin")):
        write(os.path.join(rootfs, where, tool), open(os.path.join(tools, tool), "rb").read(), 0o755)
    write(os.path.join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
    write(os.path.join(rootfs, "etc/group"), "root:x:0:\n")
    write(os.path.join(rootfs, "var/lib/dpkg/status"), "")
    for d, m in (("tmp", 0o1777), ("root", 0o700), ("mnt", 0o755), ("var/lib/dpkg/info", 0o755)):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
        os.chmod(os.path.join(rootfs, d), m)

    # ---- system CUDA 12.1, a -devel base in miniature ----------------------
    c12 = "/usr/local/cuda-12.1/targets/x86_64-linux"
    apt_package(pl, "cuda-cudart-12-1", "12.1.105-1",
                {f"{c12}/lib/libcudart.so.12.1.105": elf_like("sys12/cudart", 120_000)},
                [(f"{c12}/lib/libcudart.so.12", "libcudart.so.12.1.105"),
                 ("/usr/local/cuda-12.1/lib64", "targets/x86_64-linux/lib"),
                 ("/usr/local/cuda", "cuda-12.1")])
    apt_package(pl, "libcublas-12-1", "12.1.3.1-1",
                {f"{c12}/lib/libcublas.so.12.1.3.1": elf_like("sys12/cublas", 300_000),
                 f"{c12}/lib/libcublasLt.so.12.1.3.1": elf_like("sys12/cublasLt", 260_000)},
                [(f"{c12}/lib/libcublas.so.12", "libcublas.so.12.1.3.1"),
                 (f"{c12}/lib/libcublasLt.so.12", "libcublasLt.so.12.1.3.1")])
    apt_package(pl, "libcufft-12-1", "11.0.2.54-1",
                {f"{c12}/lib/libcufft.so.11.0.2.54": elf_like("sys12/cufft", 180_000)})
    apt_package(pl, "cuda-nvcc-12-1", "12.1.105-1",
                {"/usr/local/cuda-12.1/bin/nvcc": elf_like("sys12/nvcc", 150_000),
                 "/usr/local/cuda-12.1/nvvm/bin/cicc": elf_like("sys12/cicc", 120_000)})
    header = "".join(f"extern int cudaSampleFunction{i}(void *p, unsigned long n);\n" for i in range(600))
    apt_package(pl, "cuda-cudart-dev-12-1", "12.1.105-1",
                {f"{c12}/include/cuda_runtime_api.h": header.encode(),
                 f"{c12}/lib/libcudart_static.a": ar_archive([("cudart.o/", rbytes("sys12/static", 100_000))])})

    # ---- a second system CUDA, 11.8 ----------------------------------------
    c11 = "/usr/local/cuda-11.8/targets/x86_64-linux"
    apt_package(pl, "cuda-cudart-11-8", "11.8.89-1",
                {f"{c11}/lib/libcudart.so.11.8.89": elf_like("sys11/cudart", 110_000)},
                [("/usr/local/cuda-11.8/lib64", "targets/x86_64-linux/lib")])
    apt_package(pl, "libcufft-11-8", "10.9.0.58-1",
                {f"{c11}/lib/libcufft.so.10.9.0.58": elf_like("sys11/cufft", 170_000)})

    # ---- pip: torch with its nvidia-* CUDA wheels, numpy --------------------
    pip_package(pl, "torch", "torch", "2.3.0", {
        "torch/__init__.py": b"# torch (sample)\nfrom torch._C import *\n",
        "torch/lib/libtorch_cuda.so": elf_like("pip/torch_cuda", 250_000),
        "torch/lib/libc10.so": elf_like("pip/c10", 80_000),
    })
    pip_package(pl, "nvidia-cublas-cu12", "nvidia_cublas_cu12", "12.1.3.1", {
        "nvidia/__init__.py": b"",
        "nvidia/cublas/__init__.py": b"",
        "nvidia/cublas/lib/libcublas.so.12": elf_like("pip/cublas", 300_000),
        "nvidia/cublas/lib/libcublasLt.so.12": elf_like("pip/cublasLt", 260_000),
    })
    pip_package(pl, "nvidia-cuda-runtime-cu12", "nvidia_cuda_runtime_cu12", "12.1.105", {
        "nvidia/__init__.py": b"",
        "nvidia/cuda_runtime/__init__.py": b"",
        "nvidia/cuda_runtime/lib/libcudart.so.12": elf_like("pip/cudart", 120_000),
    })
    numpy_files = {
        "numpy/__init__.py": b"# numpy (sample)\n__version__ = '1.26.4'\n",
        "numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so": elf_like("pip/numpy", 200_000),
    }
    pip_package(pl, "numpy", "numpy", "1.26.4", numpy_files)

    # ---- conda: numpy again, in its own environment -------------------------
    conda_numpy = {
        "lib/python3.11/site-packages/numpy/__init__.py": b"# numpy (conda sample)\n__version__ = '1.26.4'\n",
        "lib/python3.11/site-packages/numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so":
            elf_like("conda/numpy", 190_000),
    }
    # conda-build runs pip, so the package carries a dist-info with a RECORD.
    info = "lib/python3.11/site-packages/numpy-1.26.4.dist-info"
    conda_numpy[f"{info}/METADATA"] = b"Metadata-Version: 2.1\nName: numpy\nVersion: 1.26.4\n"
    conda_numpy[f"{info}/RECORD"] = "".join(
        f"{p.split('site-packages/', 1)[1]},{record_hash(d)},{len(d)}\n" for p, d in sorted(conda_numpy.items())
    ).encode() + b"numpy-1.26.4.dist-info/RECORD,,\n"
    cdir = os.path.join(pl, "conda", "numpy", "prefix")
    for rel, data in conda_numpy.items():
        write(os.path.join(cdir, rel), data)
    write(os.path.join(cdir, "conda-meta", "numpy-1.26.4-py311h64a7726_0.json"), json.dumps({
        "name": "numpy", "version": "1.26.4", "build": "py311h64a7726_0", "channel": "conda-forge",
        "files": sorted(conda_numpy),
    }, indent=1))

    # ---- pip: a package whose C extension was never stripped ---------------
    so = os.path.join(out, "_speedups.so")
    subprocess.run([a.cc, "-g3", "-O0", "-shared", "-fPIC", "-o", so,
                    os.path.join(HERE, "fastext", "_speedups.c"), "-lm"], check=True)
    pip_package(pl, "fastext", "fastext", "0.3", {
        "fastext/__init__.py": b"from fastext._speedups import *\n",
        "fastext/_speedups.cpython-311-x86_64-linux-gnu.so": open(so, "rb").read(),
    })

    # ---- a baked-in model ---------------------------------------------------
    # GGUF v3 header (magic, version, tensor count, metadata count), then
    # zeros standing in for quantized weights.
    model = b"GGUF" + struct.pack("<IQQ", 3, 0, 0)
    model += bytes(12_000_000 - len(model))
    write(os.path.join(ctx, "models", "tiny-llama.Q4_K_M.gguf"), model)


if __name__ == "__main__":
    main()
