#!/usr/bin/env python3
"""Generate the build context and RUN-time payload for the ml-mistakes image.

Writes, under --out:
  ctx/          build context (rootfs/, app/, model.safetensors)
  payload/      bind-mounted read-only at /mnt during RUN steps; the stand-in
                apt-get, pip and curl "download" from here
  expected.json the planted mistakes, with paths and true byte counts computed
                from the files written here; ../verify_planted.py adds the
                history indexes from the built image and writes planted.json

All content is derived from --seed, so reruns produce identical files. Binary
content is SHAKE-256 output keyed by seed and path: it does not compress and no
two files share content unless a step copies one.
"""

import argparse
import base64
import hashlib
import io
import json
import os
import random
import shutil
import struct
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = None


def rbytes(tag, n):
    return hashlib.shake_256(f"{SEED}:{tag}".encode()).digest(n)


def rng(tag):
    return random.Random(f"{SEED}:{tag}")


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    return len(data)


def elf(tag, n):
    """Random bytes behind an ELF-looking header (fake binaries)."""
    head = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x03\x00\x3e\x00"
    return head + rbytes(tag, n - len(head))


def ar_archive(members):
    """A valid Unix ar archive (the container format of .deb and .a files)."""
    out = io.BytesIO()
    out.write(b"!<arch>\n")
    for name, data in members:
        hdr = f"{name:<16}{0:<12}{0:<6}{0:<6}{0o100644:<8o}{len(data):<10}`\n"
        assert len(hdr) == 60, hdr
        out.write(hdr.encode())
        out.write(data)
        if len(data) % 2:
            out.write(b"\n")
    return out.getvalue()


def words(r, n):
    vocab = ("data model layer tensor cache build image fast small tool lib "
             "core util stream parse format index table vector graph batch "
             "codec crypto net http json xml yaml text font audio video").split()
    return " ".join(r.choice(vocab) for _ in range(n))


def hexs(r, n):
    return "".join(r.choice("0123456789abcdef") for _ in range(n))


def packages_file(tag, target):
    """Debian Packages index text of about `target` bytes."""
    r = rng(tag)
    out = []
    size = 0
    i = 0
    while size < target:
        name = f"lib{hexs(r, 3)}{words(r, 1)}{i}"
        ver = f"{r.randint(0, 9)}.{r.randint(0, 40)}.{r.randint(0, 9)}-{r.randint(1, 5)}"
        st = (f"Package: {name}\nVersion: {ver}\nInstalled-Size: {r.randint(10, 9000)}\n"
              f"Maintainer: Debian {words(r, 1).title()} Team <pkg-{hexs(r, 4)}@lists.debian.org>\n"
              f"Architecture: amd64\nDepends: libc6 (>= 2.34), lib{words(r, 1)}{r.randint(0, 9)}\n"
              f"Description: {words(r, 8)}\nDescription-md5: {hexs(r, 32)}\n"
              f"Section: libs\nPriority: optional\n"
              f"Filename: pool/main/{name[:4]}/{name}/{name}_{ver}_amd64.deb\n"
              f"Size: {r.randint(2000, 900000)}\nMD5sum: {hexs(r, 32)}\nSHA256: {hexs(r, 64)}\n\n")
        out.append(st)
        size += len(st)
        i += 1
    return "".join(out)


def c_header(tag, target):
    r = rng(tag)
    guard = tag.upper().replace("/", "_").replace(".", "_")
    lines = [f"#ifndef {guard}", f"#define {guard}", "", "#include <stddef.h>", ""]
    n = 0
    while sum(len(l) + 1 for l in lines) < target:
        fn = f"foo_{words(r, 1)}_{hexs(r, 6)}"
        lines.append(f"/* {words(r, 10)} */")
        lines.append(f"int {fn}(const void *src, size_t len, unsigned flags_{n});")
        lines.append(f"#define FOO_{fn.upper()[4:]}_MASK 0x{hexs(r, 8)}u")
        n += 1
    lines += ["", f"#endif /* {guard} */", ""]
    return "\n".join(lines)


def py_source(tag, target):
    r = rng(tag)
    lines = ['"""Generated sample module."""', "", "import math", ""]
    n = 0
    while sum(len(l) + 1 for l in lines) < target:
        lines.append(f"def {words(r, 1)}_{hexs(r, 6)}(x, y={r.randint(0, 999)}):")
        lines.append(f'    """{words(r, 9)}."""')
        lines.append(f"    return math.fsum([x, y, {r.random():.12f}, 0x{hexs(r, 10)}])")
        lines.append("")
        n += 1
    return "\n".join(lines) + "\n"


def record_hash(data):
    d = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(d).rstrip(b"=").decode()


def safetensors(tag, tensors):
    """A real safetensors file: u64 LE header length, JSON header, raw data."""
    header = {"__metadata__": {"format": "pt"}}
    off = 0
    for name, shape in tensors:
        n = 4
        for d in shape:
            n *= d
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [off, off + n]}
        off += n
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * (-len(hj) % 8)
    return struct.pack("<Q", len(hj)) + hj + rbytes(tag, off)


def tar_bytes(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in entries:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 1700000000
            ti.mode = 0o644
            ti.uname = ti.gname = "root"
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def files_under(root, prefix):
    """(image path, size) of regular files under root, sorted."""
    out = []
    for dp, dns, fns in os.walk(root):
        dns.sort()
        for fn in sorted(fns):
            p = os.path.join(dp, fn)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            rel = os.path.relpath(p, root)
            out.append((prefix.rstrip("/") + "/" + rel, os.path.getsize(p)))
    return sorted(out)


def main():
    global SEED
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--busybox", default="/bin/busybox")
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
    write(os.path.join(rootfs, "usr/bin/apt-get"), open(os.path.join(tools, "apt-get"), "rb").read(), 0o755)
    write(os.path.join(rootfs, "usr/local/bin/pip"), open(os.path.join(tools, "pip"), "rb").read(), 0o755)
    write(os.path.join(rootfs, "etc/passwd"),
          "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/app:/bin/sh\n")
    write(os.path.join(rootfs, "etc/group"), "root:x:0:\napp:x:1000:\n")
    for d, m in (("tmp", 0o1777), ("root", 0o700), ("mnt", 0o755), ("var/tmp", 0o1777)):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
        os.chmod(os.path.join(rootfs, d), m)

    planted = []

    # ---- cache: apt lists + .deb (payload) --------------------------------
    lists = os.path.join(pl, "apt/lists")
    apt_files = []
    for name, size in (
        ("deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages", 190_000),
        ("deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages", 45_000),
        ("deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages", 60_000),
    ):
        n = write(os.path.join(lists, name), packages_file("apt/" + name, size))
        apt_files.append(("/var/lib/apt/lists/" + name, n))
    write(os.path.join(lists, "lock"), b"", 0o640)
    os.makedirs(os.path.join(lists, "partial"), exist_ok=True)
    deb_name = "curl_7.88.1-10+deb12u5_amd64.deb"
    deb = ar_archive([("debian-binary", b"2.0\n"),
                      ("control.tar.xz", rbytes("deb/control", 1_800)),
                      ("data.tar.xz", rbytes("deb/data", 62_000))])
    n = write(os.path.join(pl, "apt/pool/curl", deb_name), deb)
    apt_files.append(("/var/cache/apt/archives/" + deb_name, n))
    write(os.path.join(pl, "apt/pool/curl/root/usr/bin/curl"),
          open(os.path.join(tools, "curl"), "rb").read(), 0o755)
    planted.append({
        "category": "cache",
        "step": "apt-get update && apt-get install -y curl",
        "paths": [p for p, _ in apt_files],
        "bytes": sum(s for _, s in apt_files),
        "description": "apt package lists and the downloaded .deb left in the layer "
                       "(no `rm -rf /var/lib/apt/lists/*` / `apt-get clean` in the same RUN)",
    })

    # ---- build-tooling (payload) -------------------------------------------
    be = os.path.join(pl, "apt/pool/build-essential/root")
    bt_files = []
    for path, data in (
        ("usr/bin/gcc-12", elf("gcc-12", 92_000)),
        ("usr/lib/gcc/x86_64-linux-gnu/12/cc1", elf("cc1", 176_000)),
        ("usr/include/foo/foo.h", c_header("foo/foo.h", 9_000)),
        ("usr/include/foo/foo_config.h", c_header("foo/foo_config.h", 4_000)),
        ("usr/include/foo/foo_io.h", c_header("foo/foo_io.h", 7_000)),
        ("usr/include/foo/foo_math.h", c_header("foo/foo_math.h", 8_000)),
        ("usr/lib/x86_64-linux-gnu/libfoo.a",
         ar_archive([("foo.o/", elf("libfoo/foo.o", 30_000)),
                     ("foo_io.o/", elf("libfoo/foo_io.o", 18_000)),
                     ("foo_math.o/", elf("libfoo/foo_math.o", 14_000))])),
    ):
        n = write(os.path.join(be, path), data, 0o755 if "/bin/" in path or path.endswith("cc1") else 0o644)
        bt_files.append(("/" + path, n))
    os.symlink("gcc-12", os.path.join(be, "usr/bin/gcc"))
    planted.append({
        "category": "build-tooling",
        "step": "apt-get install -y build-essential",
        "paths": [p for p, _ in bt_files],
        "bytes": sum(s for _, s in bt_files),
        "description": "compiler, cc1, headers and a static library installed into the runtime "
                       "image (belongs in a builder stage); /usr/bin/gcc is a symlink to gcc-12",
    })

    # ---- cache: pip (payload) ----------------------------------------------
    tp = os.path.join(pl, "pypi/tinypkg")
    site = os.path.join(tp, "site-packages")
    pkg_files = {
        "tinypkg/__init__.py": '"""tinypkg: a sample package."""\n\nfrom .core import *  # noqa\n\n__version__ = "1.0"\n',
        "tinypkg/core.py": py_source("tinypkg/core.py", 7_000),
        "tinypkg/_native.cpython-311-x86_64-linux-gnu.so": elf("tinypkg/_native", 40_000),
        "tinypkg-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n"
                                          "Summary: A tiny sample package\nRequires-Python: >=3.8\n",
        "tinypkg-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: bdist_wheel (0.42.0)\n"
                                       "Root-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n",
        "tinypkg-1.0.dist-info/top_level.txt": "tinypkg\n",
        "tinypkg-1.0.dist-info/INSTALLER": "pip\n",
    }
    record = []
    for rel in sorted(pkg_files):
        data = pkg_files[rel].encode() if isinstance(pkg_files[rel], str) else pkg_files[rel]
        write(os.path.join(site, rel), data, 0o755 if rel.endswith(".so") else 0o644)
        record.append(f"{rel},{record_hash(data)},{len(data)}")
    record.append("tinypkg-1.0.dist-info/RECORD,,")
    write(os.path.join(site, "tinypkg-1.0.dist-info/RECORD"), "\n".join(sorted(record)) + "\n")

    cache = os.path.join(tp, "cache")
    pip_files = []

    def http_entry(url, body):
        h = hashlib.sha224(url.encode()).hexdigest()
        rel = "http-v2/" + "/".join(h[:5]) + "/" + h
        meta = b"\xcc\x02" + rbytes("pip-meta/" + url, 900)  # pip's serialized response headers
        for suffix, data in (("", meta), (".body", body)):
            n = write(os.path.join(cache, rel + suffix), data, 0o600)
            pip_files.append(("/root/.cache/pip/" + rel + suffix, n))

    idx = "".join(f'<a href="https://files.example.org/packages/{hexs(rng("idx"), 2)}/tinypkg-0.{i}.tar.gz'
                  f'#sha256={hexs(rng(f"idx{i}"), 64)}">tinypkg-0.{i}.tar.gz</a><br/>\n' for i in range(20))
    http_entry("https://pypi.org/simple/tinypkg/", ("<!DOCTYPE html><html><body>\n" + idx + "</body></html>\n").encode())
    http_entry("https://files.pythonhosted.org/packages/ab/cd/tinypkg-1.0.tar.gz",
               b"\x1f\x8b\x08\x00" + rbytes("pip-sdist", 118_000))
    wh = hashlib.sha224(b"tinypkg-1.0.tar.gz").hexdigest()
    wrel = f"wheels/{wh[:2]}/{wh[2:4]}/{wh[4:6]}/{wh[6:]}/tinypkg-1.0-cp311-cp311-linux_x86_64.whl"
    n = write(os.path.join(cache, wrel), b"PK\x03\x04" + rbytes("pip-wheel", 84_000), 0o600)
    pip_files.append(("/root/.cache/pip/" + wrel, n))
    pip_files.sort()
    planted.append({
        "category": "cache",
        "step": "pip install tinypkg",
        "paths": [p for p, _ in pip_files],
        "bytes": sum(s for _, s in pip_files),
        "description": "pip's HTTP and wheel caches left in the layer (no --no-cache-dir); "
                       "the same step installs tinypkg into site-packages, which is not waste",
    })

    # ---- app (ctx), with its .git --------------------------------------------
    app = os.path.join(ctx, "app")
    write(os.path.join(app, "main.py"), py_source("app/main.py", 3_500))
    write(os.path.join(app, "utils.py"), py_source("app/utils.py", 5_000))
    write(os.path.join(app, "requirements.txt"), "tinypkg==1.0\n")
    write(os.path.join(app, "templates/index.html"),
          "<!doctype html>\n<html><body>\n" +
          "".join(f"<p>{words(rng(f'html{i}'), 12)}</p>\n" for i in range(60)) + "</body></html>\n")
    write(os.path.join(app, "static/app.bundle.js"),
          "/* bundled */\nvar B='" + base64.b64encode(rbytes("app/bundle", 48_000)).decode() + "';\n")
    write(os.path.join(app, "static/logo.png"), b"\x89PNG\r\n\x1a\n" + rbytes("app/logo", 52_000))
    write(os.path.join(app, "data/labels.txt"),
          "".join(f"{i}\t{words(rng(f'label{i}'), 2)}\n" for i in range(1400)))
    git = os.path.join(app, ".git")
    pack = hashlib.sha1(rbytes("git/packname", 20)).hexdigest()
    head = hashlib.sha1(rbytes("git/head", 20)).hexdigest()
    write(os.path.join(git, "HEAD"), "ref: refs/heads/main\n")
    write(os.path.join(git, "config"), "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n"
                                       "\tbare = false\n[remote \"origin\"]\n"
                                       "\turl = git@git.example.com:team/tinyapp.git\n"
                                       "\tfetch = +refs/heads/*:refs/remotes/origin/*\n")
    write(os.path.join(git, "description"), "Unnamed repository; edit this file 'description' to name the repository.\n")
    write(os.path.join(git, "refs/heads/main"), head + "\n")
    write(os.path.join(git, "packed-refs"), f"# pack-refs with: peeled fully-peeled sorted\n{head} refs/remotes/origin/main\n")
    write(os.path.join(git, "logs/HEAD"), f"{'0' * 40} {head} Dev <dev@example.com> 1700000000 +0000\tclone: from git.example.com\n")
    write(os.path.join(git, "index"), b"DIRC\x00\x00\x00\x02" + rbytes("git/index", 1_200))
    write(os.path.join(git, f"objects/pack/pack-{pack}.pack"), b"PACK\x00\x00\x00\x02" + rbytes("git/pack", 14_000), 0o444)
    write(os.path.join(git, f"objects/pack/pack-{pack}.idx"), b"\xfftOc\x00\x00\x00\x02" + rbytes("git/idx", 2_100), 0o444)
    git_files = files_under(git, "/app/.git")
    app_files = files_under(app, "/app")
    planted.append({
        "category": "vcs-and-junk",
        "step": ["COPY dir:", " in /app/"],
        "paths": [p for p, _ in git_files],
        "bytes": sum(s for _, s in git_files),
        "description": "the .git directory copied into the image with the app (no .dockerignore)",
    })
    planted.append({
        "category": "metadata-copy",
        "step": "chown -R 1000:1000 /app",
        "related_step": ["COPY dir:", " in /app/"],
        "related_role": "original",
        "paths": [p for p, _ in app_files],
        "bytes": sum(s for _, s in app_files),
        "description": "chown -R in a later RUN re-adds every file of /app with identical content "
                       "(use COPY --chown); bytes = total size of the re-added files",
    })

    # ---- duplicate-content: model (ctx) ----------------------------------------
    model = safetensors("model", [("embed.weight", (256, 128)), ("head.weight", (128, 160))])
    n = write(os.path.join(ctx, "model.safetensors"), model)
    planted.append({
        "category": "duplicate-content",
        "step": "cp /models/model.safetensors /app/weights/model.safetensors",
        "related_step": "in /models/model.safetensors",
        "related_role": "original",
        "paths": ["/models/model.safetensors", "/app/weights/model.safetensors"],
        "bytes": n,
        "description": "the same weights at two paths; bytes = one extra copy",
    })

    # ---- deleted-later: dataset (payload) ---------------------------------------
    ds = tar_bytes([("dataset/train-00000.npy", b"\x93NUMPY\x01\x00" + rbytes("ds/0", 76_000)),
                    ("dataset/train-00001.npy", b"\x93NUMPY\x01\x00" + rbytes("ds/1", 74_000)),
                    ("dataset/labels.csv", "".join(f"{i},{rng(f'y{i}').randint(0, 9)}\n" for i in range(1500)).encode())])
    n = write(os.path.join(pl, "www/data.example.com/v1/dataset.tar"), ds)
    planted.append({
        "category": "deleted-later",
        "step": "curl -fsSL -o /tmp/dataset.tar",
        "related_step": "rm -f /tmp/dataset.tar",
        "related_role": "deleted_by",
        "paths": ["/tmp/dataset.tar"],
        "bytes": n,
        "description": "downloaded in one RUN and deleted in a later one: the bytes stay in the "
                       "earlier layer (download, use and delete in the same RUN)",
    })

    # ---- overwritten: config (payload) ---------------------------------------------
    r = rng("config")
    cfg = {"name": "tinyapp", "debug": False,
           "tokenizer": {"vocab": {f"{words(r, 1)}_{hexs(r, 10)}": i for i in range(3_300)}}}
    cfg_bytes = (json.dumps(cfg, indent=2) + "\n").encode()
    assert cfg_bytes.count(b'"debug": false') == 1
    n = write(os.path.join(pl, "www/config.example.com/v1/big.json"), cfg_bytes)
    planted.append({
        "category": "overwritten",
        "step": "curl -fsSL -o /app/config/big.json",
        "related_step": "sed -i 's/\"debug\": false/\"debug\": true/'",
        "related_role": "overwritten_by",
        "paths": ["/app/config/big.json"],
        "bytes": n,
        "description": "created in one RUN and rewritten in place by a later one: the lower copy "
                       "is dead weight; bytes = size of the lower copy",
    })

    write(os.path.join(out, "expected.json"), json.dumps(planted, indent=2) + "\n")
    for p in planted:
        print(f"  planned {p['category']:<17} {p['bytes']:>8} bytes  ({p['step']})")


if __name__ == "__main__":
    main()
