#!/usr/bin/env python3
"""Check a built sample image and (for ml-mistakes) write planted.json.

Reads the docker-archive, maps config history entries to layers (entries with
empty_layer have none), prints the history, and for every mistake planned by
gen_context.py (expected.json):
  * finds the history entry whose created_by contains the step marker (exactly one),
  * checks every listed path in that step's layer: present, regular file, the
    listed size, and the listed total,
  * checks the category's shape (metadata-copy: identical content and new owner;
    duplicate-content: identical content at both paths; deleted-later: whiteout
    in the deleting layer; overwritten: different content in the later layer),
then writes planted.json with the real history and layer indexes.
For every image it also checks that no two non-empty regular files in the image
share content unless a planted mistake says so, and that each OCI archive holds
the same config (so the same history) as the docker-archive.
"""

import argparse
import hashlib
import io
import json
import sys
import tarfile


def die(msg):
    print("verify: " + msg, file=sys.stderr)
    sys.exit(1)


def read_docker_archive(path):
    with tarfile.open(path) as t:
        manifest = json.load(t.extractfile("manifest.json"))[0]
        config_raw = t.extractfile(manifest["Config"]).read()
        layers = []
        for name in manifest["Layers"]:
            files = {}
            with tarfile.open(fileobj=io.BytesIO(t.extractfile(name).read())) as lt:
                for m in lt.getmembers():
                    entry = {"type": m.type, "size": m.size, "uid": m.uid, "gid": m.gid}
                    if m.isreg():
                        entry["sha256"] = hashlib.sha256(lt.extractfile(m).read()).hexdigest()
                    name = m.name[2:] if m.name.startswith("./") else m.name
                    files["/" + name.strip("/")] = entry
            layers.append(files)
    return hashlib.sha256(config_raw).hexdigest(), json.loads(config_raw), layers


def oci_info(path):
    with tarfile.open(path) as t:
        index = json.load(t.extractfile("index.json"))
        digest = index["manifests"][0]["digest"].split(":")[1]
        manifest = json.load(t.extractfile("blobs/sha256/" + digest))
        media = sorted({l["mediaType"] for l in manifest["layers"]})
        magic = set()
        for l in manifest["layers"]:
            head = t.extractfile("blobs/sha256/" + l["digest"].split(":")[1]).read(4)
            magic.add({b"\x1f\x8b": "gzip", b"\x28\xb5": "zstd"}.get(head[:2], "tar?"))
        return manifest["config"]["digest"].split(":")[1], media, sorted(magic)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docker", required=True)
    ap.add_argument("--oci", action="append", default=[])
    ap.add_argument("--expected")
    ap.add_argument("--out")
    a = ap.parse_args()

    cfg_digest, config, layers = read_docker_archive(a.docker)
    history = config["history"]
    layer_of = {}
    li = 0
    for hi, h in enumerate(history):
        if not h.get("empty_layer"):
            layer_of[hi] = li
            li += 1
    if li != len(layers):
        die(f"{li} non-empty history entries but {len(layers)} layers")

    print(f"{a.docker}: {len(history)} history entries, {len(layers)} layers")
    for hi, h in enumerate(history):
        lyr = f"layer {layer_of[hi]:>2}" if hi in layer_of else "empty   "
        print(f"  [{hi:>2}] {lyr}  {h['created_by']}")

    for o in a.oci:
        d, media, magic = oci_info(o)
        if d != cfg_digest:
            die(f"{o}: config {d} differs from the docker-archive's {cfg_digest}")
        print(f"{o}: same config; layer media types {media}; blob magic {magic}")

    def find(marker):
        subs = marker if isinstance(marker, list) else [marker]
        hits = [i for i, h in enumerate(history) if all(s in h["created_by"] for s in subs)]
        if len(hits) != 1:
            die(f"step marker {marker!r} matches history entries {hits}, want exactly one")
        return hits[0]

    def entry(hi, path):
        if hi not in layer_of:
            die(f"history entry {hi} has no layer")
        e = layers[layer_of[hi]].get(path)
        if e is None:
            die(f"{path} not in the layer of history entry {hi}")
        return e

    intended = set()  # content hashes allowed to repeat
    planted = []
    for p in json.load(open(a.expected)) if a.expected else []:
        hi = find(p["step"])
        rel = find(p["related_step"]) if "related_step" in p else None
        cat = p["category"]
        main_paths = p["paths"][1:] if cat == "duplicate-content" else p["paths"]
        total = 0
        for path in main_paths:
            e = entry(hi, path)
            if e["type"] != tarfile.REGTYPE:
                die(f"{path} in history entry {hi} is not a regular file")
            total += e["size"]
        if cat == "duplicate-content":
            orig, dup = entry(rel, p["paths"][0]), entry(hi, p["paths"][1])
            if orig["sha256"] != dup["sha256"]:
                die("duplicate-content: the two copies differ")
            intended.add(dup["sha256"])
        elif cat == "metadata-copy":
            for path in p["paths"]:
                new, old = entry(hi, path), entry(rel, path)
                if new["sha256"] != old["sha256"] or (new["uid"], new["gid"]) != (1000, 1000):
                    die(f"metadata-copy: {path} is not the same content under a new owner")
                intended.add(new["sha256"])
        elif cat == "deleted-later":
            for path in p["paths"]:
                d, b = path.rsplit("/", 1)
                entry(rel, f"{d}/.wh.{b}")
        elif cat == "overwritten":
            for path in p["paths"]:
                if entry(rel, path)["sha256"] == entry(hi, path)["sha256"]:
                    die(f"overwritten: {path} has the same content in both layers")
        if total != p["bytes"]:
            die(f"{cat} at [{hi}]: layer holds {total} bytes, generator said {p['bytes']}")
        out = {
            "category": cat,
            "history_index": hi,
            "layer_index": layer_of[hi],
            "created_by": history[hi]["created_by"],
        }
        if rel is not None:
            out.update({"related_history_index": rel, "related_role": p["related_role"],
                        "related_created_by": history[rel]["created_by"]})
        out.update({"paths": p["paths"], "bytes": p["bytes"], "description": p["description"]})
        planted.append(out)
        print(f"  ok {cat:<17} history [{hi:>2}] layer {layer_of[hi]:>2} {p['bytes']:>8} bytes"
              + (f"  ({p['related_role']} [{rel}])" if rel is not None else ""))

    seen = {}
    for n, files in enumerate(layers):
        for path, e in files.items():
            if e["type"] == tarfile.REGTYPE and e["size"] > 0:
                seen.setdefault(e["sha256"], []).append((n, path))
    for h, where in seen.items():
        if len(where) > 1 and h not in intended:
            die(f"unplanned duplicate content: {where}")
    print("  no unplanned duplicate content")

    if a.out:
        with open(a.out, "w") as f:
            json.dump(planted, f, indent=2)
            f.write("\n")
        print(f"  wrote {a.out}")


if __name__ == "__main__":
    main()
