#!/usr/bin/env python3
"""Write goscope's container image as an OCI image layout in a tar (what `make image` runs).

No base image, no registry, no container tool: one gzip-compressed layer holding the binary at
/usr/bin/goscope with the shared libraries it loads and its program interpreter, each as Debian
installed it on the build machine, the Debian copyright file of every package they come from
(and, with --terminfo, the terminal descriptions `goscope top` needs; with --ca-certificates, the
CA bundle OTLP pushes over https check against), an image config, a manifest and the index, each
blob named by its sha256 digest.

Why not a static binary: GnuTLS needs p11-kit, and libcurl a dozen libraries, that Debian ships
without static archives; linking them is not possible from Debian's packages alone.

    oci-layout                      {"imageLayoutVersion": "1.0.0"}
    index.json                      the manifest, named NAME (ref.name and containerd's name)
    manifest.json                   the same image as `docker save` describes it, for Docker
    blobs/sha256/<digest>           layer, config, manifest

Reproducible: every file in the layer and in the archive is owned by 0:0 with the mtime --epoch,
entries are sorted and gzip's header carries no time, so the same inputs give the same bytes.
`podman load -i` and `ctr image import` read it.

The version label is what the binary says (`goscope --version`), so it cannot disagree with it.

usage: mkimage.py --binary FILE --name NAME:TAG [--revision SHA] [--epoch SECONDS]
                  [--source URL] [--terminfo DIR] [--ca-certificates FILE] -o OUT.tar
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import tarfile
from datetime import datetime, timezone

ENTRYPOINT = "/usr/bin/goscope"
# The default command: the node agent. goscope warns that 0.0.0.0 is not loopback.
CMD = ["serve", "--all", "--listen", "0.0.0.0:9464"]
PORT = "9464/tcp"

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


class Tar:
    """A tar being written into memory with fixed owners and times."""

    def __init__(self, epoch):
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.USTAR_FORMAT)
        self.epoch = epoch

    def _info(self, name, kind, mode):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode, ti.mtime = kind, mode, self.epoch
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = "root"
        return ti

    def dir(self, name, mode=0o755):
        self.tar.addfile(self._info(name, tarfile.DIRTYPE, mode))

    def file(self, name, data, mode=0o644):
        ti = self._info(name, tarfile.REGTYPE, mode)
        ti.size = len(data)
        self.tar.addfile(ti, io.BytesIO(data))

    def symlink(self, name, target):
        ti = self._info(name, tarfile.SYMTYPE, 0o777)
        ti.linkname = target
        self.tar.addfile(ti)

    def bytes(self):
        self.tar.close()
        return self.buf.getvalue()


def parents(path):
    """usr/share/terminfo/x -> usr, usr/share, usr/share/terminfo, usr/share/terminfo/x"""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


LIBDIR = "usr/lib/x86_64-linux-gnu"


def interpreter(binary):
    """PT_INTERP of the binary (readelf, from binutils)."""
    out = subprocess.run(["readelf", "--program-headers", binary], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        if "Requesting program interpreter:" in line:
            return line.split(":", 1)[1].strip().rstrip("]")
    sys.exit(f"mkimage: {binary} has no program interpreter")


def libraries(binary):
    """{soname: path} of every shared library the dynamic loader maps for binary (its --list)."""
    out = subprocess.run([interpreter(binary), "--list", binary], capture_output=True, text=True,
                         check=True).stdout
    libs = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] == "=>":
            if parts[2] == "not":
                sys.exit(f"mkimage: {binary}: {parts[0]} not found")
            libs[parts[0]] = parts[2]
    return libs


def owner(path):
    """The Debian package a file comes from. dpkg knows a library by the path its package put it
    at, which after the /usr merge may be either spelling, and by its full name or its soname."""
    real = os.path.realpath(path)
    names = {path, real, os.path.join(os.path.dirname(real), os.path.basename(path))}
    for n in list(names):
        if n.startswith("/usr/lib/"):
            names.add(n[4:])
        elif n.startswith("/lib/"):
            names.add("/usr" + n)
    for n in sorted(names):
        res = subprocess.run(["dpkg", "-S", n], capture_output=True, text=True)
        if res.returncode == 0:
            return res.stdout.split(":", 1)[0]
    sys.exit(f"mkimage: no Debian package owns {path}")


def copyrights(paths):
    """The Debian copyright files of the packages owning paths."""
    pkgs = sorted({owner(p) for p in paths})
    return {f"usr/share/doc/{p}/copyright": f"/usr/share/doc/{p}/copyright" for p in pkgs}


def layer(binary, terminfo, ca_bundle, epoch):
    """The root filesystem as a tar: directories first where a file needs them, sorted."""
    files = {ENTRYPOINT.lstrip("/"): ("file", binary, 0o755)}
    interp = interpreter(binary)
    libs = libraries(binary)
    files[interp.lstrip("/")] = ("file", os.path.realpath(interp), 0o755)
    for soname, path in libs.items():
        files[f"{LIBDIR}/{soname}"] = ("file", os.path.realpath(path), 0o644)
    for dst, src in copyrights(list(libs.values()) + [interp]).items():
        files[dst] = ("file", src, 0o644)
    if ca_bundle:
        files["etc/ssl/certs/ca-certificates.crt"] = ("file", os.path.realpath(ca_bundle), 0o644)
        files["usr/share/doc/ca-certificates/copyright"] = (
            "file", "/usr/share/doc/ca-certificates/copyright", 0o644)
    if terminfo:
        for root, dirs, names in os.walk(terminfo):
            dirs.sort()
            for n in sorted(names):
                src = os.path.join(root, n)
                dst = "usr/share/terminfo/" + os.path.relpath(src, terminfo)
                if os.path.islink(src):
                    files[dst] = ("symlink", os.readlink(src), 0o777)
                else:
                    files[dst] = ("file", src, 0o644)
    t = Tar(epoch)
    made = set()
    for dst in sorted(files):
        for d in parents(os.path.dirname(dst)):
            if d and d not in made:
                t.dir(d)
                made.add(d)
        kind, src, mode = files[dst]
        if kind == "symlink":
            t.symlink(dst, src)
        else:
            with open(src, "rb") as f:
                t.file(dst, f.read(), mode)
    return t.bytes()


def gz(data):
    """gzip without a file name or time stamp in its header."""
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=out, mtime=0) as f:
        f.write(data)
    return out.getvalue()


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def descriptor(media_type, data, **extra):
    return dict(mediaType=media_type, digest=digest(data), size=len(data), **extra)


def dumps(obj):
    return json.dumps(obj, indent=2, sort_keys=True).encode() + b"\n"


def image(args):
    """{archive path: bytes} of the image layout."""
    created = datetime.fromtimestamp(args.epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    labels = {
        "org.opencontainers.image.title": "goscope",
        "org.opencontainers.image.description":
            "eBPF agent for running Go programs: Prometheus exporter of every Go process on the node",
        "org.opencontainers.image.version": args.version,
        "org.opencontainers.image.created": created,
        "org.opencontainers.image.licenses": "GPL-2.0 OR BSD-2-Clause",
    }
    if args.revision:
        labels["org.opencontainers.image.revision"] = args.revision
    if args.source:
        labels["org.opencontainers.image.source"] = args.source
    tar = layer(args.binary, args.terminfo, args.ca_certificates, args.epoch)
    blob = gz(tar)
    config = dumps({
        "created": created,
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Entrypoint": [ENTRYPOINT],
            "Cmd": CMD,
            "ExposedPorts": {PORT: {}},
            "Env": ["PATH=/usr/bin"],
            "WorkingDir": "/",
            "Labels": labels,
            "StopSignal": "SIGTERM",
        },
        "rootfs": {"type": "layers", "diff_ids": [digest(tar)]},
        "history": [{"created": created, "created_by": "scripts/mkimage.py (make image)"}],
    })
    manifest = dumps({
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": descriptor(MT_CONFIG, config),
        "layers": [descriptor(MT_LAYER, blob)],
        "annotations": labels,
    })
    repo, _, tag = args.name.rpartition(":")
    full = args.name if "/" in repo else f"docker.io/library/{args.name}"
    index = dumps({
        "schemaVersion": 2,
        "mediaType": MT_INDEX,
        "manifests": [descriptor(MT_MANIFEST, manifest, annotations={
            # containerd names the image after this one; podman after ref.name.
            "io.containerd.image.name": full,
            "org.opencontainers.image.ref.name": args.name,
        })],
    })
    blobs = {f"blobs/sha256/{digest(b)[7:]}": b for b in (blob, config, manifest)}
    docker = dumps([{
        "Config": f"blobs/sha256/{digest(config)[7:]}",
        "RepoTags": [args.name],
        "Layers": [f"blobs/sha256/{digest(blob)[7:]}"],
    }])
    return {**blobs, "index.json": index, "manifest.json": docker,
            "oci-layout": dumps({"imageLayoutVersion": "1.0.0"})}


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--binary", required=True, help="the goscope binary")
    ap.add_argument("--name", default="goscope:latest", help="image name, NAME:TAG")
    ap.add_argument("--revision", default="")
    ap.add_argument("--source", default="")
    ap.add_argument("--epoch", type=int, default=int(os.environ.get("SOURCE_DATE_EPOCH", "0")))
    ap.add_argument("--terminfo", help="directory of terminfo files to put in /usr/share/terminfo")
    ap.add_argument("--ca-certificates", help="CA bundle to put at /etc/ssl/certs/ca-certificates.crt")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    if ":" not in args.name.rpartition("/")[2]:
        sys.exit(f"mkimage: --name {args.name}: want NAME:TAG")
    with open(args.binary, "rb") as f:
        if f.read(4) != b"\x7fELF":
            sys.exit(f"mkimage: {args.binary} is not an ELF executable")
    if not stat.S_IXUSR & os.stat(args.binary).st_mode:
        sys.exit(f"mkimage: {args.binary} is not executable")
    res = subprocess.run([args.binary, "--version"], capture_output=True, text=True, check=True)
    args.version = res.stdout.split()[1]
    files = image(args)
    out = Tar(args.epoch)
    out.dir("blobs")
    out.dir("blobs/sha256")
    for name in sorted(files):
        out.file(name, files[name])
    tmp = f"{args.output}.tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(out.bytes())
    os.replace(tmp, args.output)


if __name__ == "__main__":
    main()
