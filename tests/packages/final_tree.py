#!/usr/bin/env python3
"""Expected package figures for tests/packages.rs, computed without ballast.

Reads an image archive (docker-archive, or OCI with gzip or uncompressed
layers) with Python's tarfile, rebuilds the final file tree layer by layer
(whiteouts, opaque directories, a file replacing a directory), and prints
one JSON object:

  files    {path: size} of every regular file of the final tree
  packages {record path: {"manager", "bytes", "files", "entries",
           "owned_by"}}: for each package record of the final tree
           (dist-info RECORD, egg-info installed-files.txt,
           conda-meta/*.json, dpkg info/*.list), the distinct regular files
           (inodes: a hard link and its target are one) it lists that the
           final tree holds, and their bytes; `entries`: the distinct listed
           paths present that are not directories (files, links); `owned_by`:
           the dpkg .list or conda record that lists a pip record itself
  unowned  {top directory: bytes} of regular files no record lists
  debug    {path: bytes of .debug* sections} of ELF files that have any
  union    with `--union-dpkg NAME,NAME,...`: {"bytes", "files"} of the
           distinct regular files (inodes) the named dpkg packages' .list
           files list, each counted once however many list it

Paths are image paths with a leading "/". Listed paths are looked up with
their directories' symlinks followed inside the image, as a process in the
container would see them. Usage: final_tree.py IMAGE.tar [--union-dpkg NAMES]
"""

import csv
import io
import json
import posixpath
import struct
import sys
import tarfile


def norm(p):
    p = posixpath.normpath("/" + p)
    return "/" if p in ("/", "//") else p.rstrip("/")


def layer_streams(archive):
    outer = tarfile.open(archive)
    names = set(outer.getnames())
    read = lambda n: outer.extractfile(n).read()
    if "manifest.json" in names:
        for layer in json.loads(read("manifest.json"))[0]["Layers"]:
            yield layer, read(layer)
    else:
        index = json.loads(read("index.json"))
        blob = lambda d: "blobs/" + d.replace(":", "/")
        manifest = json.loads(read(blob(index["manifests"][0]["digest"])))
        for layer in manifest["layers"]:
            yield layer["digest"], read(blob(layer["digest"]))


class Tree:
    def __init__(self):
        # path -> (kind, size, link target, (open layer tar, member))
        self.nodes = {}

    def remove(self, path):
        self.nodes.pop(path, None)
        prefix = path.rstrip("/") + "/"
        for k in [k for k in self.nodes if k.startswith(prefix)]:
            del self.nodes[k]

    def apply(self, data):
        t = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
        members = t.getmembers()
        for m in members:
            d, base = posixpath.split(norm(m.name))
            if base == ".wh..wh..opq":
                prefix = d.rstrip("/") + "/"
                for k in [k for k in self.nodes if k.startswith(prefix)]:
                    del self.nodes[k]
            elif base.startswith(".wh."):
                self.remove(posixpath.join(d, base[4:]))
        for m in members:
            path = norm(m.name)
            base = posixpath.basename(path)
            if base.startswith(".wh.") or path == "/":
                continue
            if m.isdir():
                old = self.nodes.get(path)
                if old is None or old[0] != "d":
                    self.remove(path)
                self.nodes[path] = ("d", 0, None, None)
                continue
            self.remove(path)
            if m.isreg():
                self.nodes[path] = ("f", m.size, None, (t, m))
            elif m.islnk():
                self.nodes[path] = ("h", 0, norm(m.linkname), None)
            elif m.issym():
                self.nodes[path] = ("l", 0, m.linkname, None)
            else:
                self.nodes[path] = ("o", 0, None, None)

    def resolve(self, path):
        """`path` with symlinks in its directories followed (not its last
        component), or None when it is not in the tree."""
        d, base = posixpath.split(norm(path))
        parts = [p for p in d.split("/") if p]
        cur, hops = "/", 0
        while parts:
            comp = parts.pop(0)
            if comp in ("", "."):
                continue
            if comp == "..":
                cur = posixpath.dirname(cur)
                continue
            nxt = posixpath.join(cur, comp)
            node = self.nodes.get(nxt)
            if node is None:
                return None
            if node[0] == "l":
                hops += 1
                if hops > 40:
                    return None
                target = node[2]
                if target.startswith("/"):
                    cur = "/"
                parts = [p for p in target.split("/") if p] + parts
            else:
                cur = nxt
        full = posixpath.join(cur, base)
        return full if full in self.nodes else None


def inode(tree, path):
    """(inode key, size) of a regular file or hard link; None otherwise."""
    kind, size, link, _ = tree.nodes[path]
    if kind == "f":
        return path, size
    if kind == "h" and link in tree.nodes and tree.nodes[link][0] == "f":
        return link, tree.nodes[link][1]
    return None


def debug_bytes(data):
    if data[:4] != b"\x7fELF" or len(data) < 64:
        return 0
    wide, little = data[4] == 2, data[5] == 1
    e = "<" if little else ">"
    if wide:
        shoff, = struct.unpack_from(e + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 0x3A)
    else:
        shoff, = struct.unpack_from(e + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 0x2E)
    if shoff == 0 or shnum == 0 or shoff + shnum * shentsize > len(data) or shstrndx >= shnum:
        return 0
    secs = []
    for i in range(shnum):
        at = shoff + i * shentsize
        if wide:
            name, typ, _, _, off, size = struct.unpack_from(e + "IIQQQQ", data, at)
        else:
            name, typ, _, _, off, size = struct.unpack_from(e + "IIIIII", data, at)
        secs.append((name, typ, off, size))
    _, _, str_off, str_size = secs[shstrndx]
    names = data[str_off:str_off + str_size]
    total = 0
    for name, typ, _, size in secs:
        end = names.find(b"\0", name)
        n = names[name:end if end >= 0 else None]
        if typ != 8 and (n.startswith(b".debug") or n.startswith(b".zdebug")):
            total += size
    return total


def record_paths(path, content):
    d = posixpath.dirname(path)
    if path.endswith("/RECORD"):
        site = posixpath.dirname(d)
        rows = csv.reader(io.StringIO(content.decode("utf-8", "surrogateescape")))
        return [norm(posixpath.join(site, r[0])) for r in rows if r and r[0]]
    if path.endswith("/installed-files.txt"):
        return [norm(posixpath.join(d, l)) for l in content.decode().splitlines() if l]
    if path.endswith(".list"):
        return [norm(l) for l in content.decode("utf-8", "surrogateescape").splitlines() if l and l != "/."]
    prefix = posixpath.dirname(d)
    rec = json.loads(content)
    return [norm(posixpath.join(prefix, f)) for f in rec.get("files", [])]


def manager(path):
    if path.startswith("/var/lib/dpkg/info/"):
        return "dpkg"
    if "/conda-meta/" in path:
        return "conda"
    return "pip"


def is_record(path):
    d, base = posixpath.split(path)
    return ((base == "RECORD" and d.endswith(".dist-info"))
            or (base == "installed-files.txt" and d.endswith(".egg-info"))
            or (d == "/var/lib/dpkg/info" and base.endswith(".list"))
            or (d.endswith("/conda-meta") and base.endswith(".json")))


def main():
    archive = sys.argv[1]
    union_names = None
    if len(sys.argv) > 3 and sys.argv[2] == "--union-dpkg":
        union_names = [n for n in sys.argv[3].split(",") if n]
    tree = Tree()
    for _, data in layer_streams(archive):
        tree.apply(data)

    def content(path):
        t, member = tree.nodes[path][3]
        return t.extractfile(member).read()

    files = {p: n[1] for p, n in tree.nodes.items() if n[0] == "f"}
    packages, listed_by = {}, {}
    for path in sorted(p for p in files if is_record(p)):
        listed = record_paths(path, content(path))
        seen, entries = {}, set()
        for p in listed:
            r = tree.resolve(p)
            if r is None:
                continue
            if tree.nodes[r][0] != "d":
                entries.add(r)
            ino = inode(tree, r)
            if ino:
                seen[ino[0]] = ino[1]
            if manager(path) != "pip":
                listed_by.setdefault(r, path)
        packages[path] = {"manager": manager(path), "bytes": sum(seen.values()), "files": len(seen), "entries": len(entries), "inodes": list(seen)}
    union = None
    if union_names is not None:
        inodes = {}
        for name in union_names:
            recs = [r for r in packages if posixpath.dirname(r) == "/var/lib/dpkg/info"
                    and posixpath.basename(r)[:-len(".list")].split(":")[0] == name]
            if not recs:
                sys.exit(f"final_tree.py: no dpkg package {name}")
            for r in recs:
                for ino in packages[r]["inodes"]:
                    inodes[ino] = tree.nodes[ino][1]
        union = {"bytes": sum(inodes.values()), "files": len(inodes)}
    owned = set()
    for path, p in packages.items():
        p["owned_by"] = listed_by.get(path) if p["manager"] == "pip" else None
        if p["owned_by"] is None:
            owned.update(p.pop("inodes"))
        else:
            p.pop("inodes")
    unowned = {}
    for p, size in files.items():
        if p not in owned:
            top = "/" + p.split("/")[1] if p.count("/") > 1 else "/"
            unowned[top] = unowned.get(top, 0) + size
    debug = {}
    for p in files:
        if files[p] >= 64:
            data = content(p)
            if data[:4] == b"\x7fELF":
                n = debug_bytes(data)
                if n:
                    debug[p] = n
    out = {"files": files, "packages": packages, "unowned": unowned, "debug": debug}
    if union is not None:
        out["union"] = union
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
