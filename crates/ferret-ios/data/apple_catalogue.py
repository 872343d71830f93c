#!/usr/bin/env python3
"""Builds ferret's known-good catalogue of Apple iOS executables from real file-path lists.

Run (Python 3 standard library only; the output is deterministic):

    python3 crates/ferret-ios/data/apple_catalogue.py ../shared/real/ios-filepath-lists \
        > crates/ferret-ios/data/apple_executables.tsv

The inputs are iLEAPP's `admin/data/filepath-lists/*.csv.zip` (MIT): each a CSV
`path,date_modified,...` listing every file of a real iPhone image. The test
`catalogue_is_regenerated_from_the_shared_lists` (ferret-ios) re-runs this script and fails when
the shipped file differs.

# What counts as an executable (a path list says nothing of file modes)
* a file directly in a folder that holds only programs on iOS: `/bin`, `/sbin`, `/usr/bin`,
  `/usr/sbin`, `/usr/libexec`;
* a bundle's main executable, by the bundle-name rule: `<dir>/<N>.app/<N>`, `<N>.appex/<N>`,
  `<N>.xpc/<N>` (iOS bundles are shallow: the executable sits next to `Info.plist` and is named
  like the bundle in all of Apple's own bundles; a bundle whose executable is named otherwise is
  missed, never a resource taken for a program);
* a framework's helper: a file without a dot directly in `<F>.framework/` or
  `<F>.framework/Support/` that is not the framework's own library `<F>`, nor a folder-like or
  data name (`Resources`, `Modules`, hexadecimal cache names...).
Only the system partition counts (everything outside `/private/var`, where installed apps, data
and temporary files live).

# Apple identifiers
Lines without a leading `/` are Apple's reverse-DNS identifiers (`com.apple.*`) as the images
name them in file names: launchd jobs (`LaunchDaemons/`, `LaunchAgents/`) and preference
domains (`Library/Preferences/`, which are the bundle ids of Apple's apps and daemons). Modules
read such identifiers where a process name is expected (TCC clients, location clients).

# Versions
An image's iOS major version is the newest wallpaper collection it ships
(`Library/Wallpaper/Collections/iOS_<N>...`); an image without one is named instead.
"""

import csv
import io
import os
import re
import sys
import zipfile

EXEC_DIRS = {"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/libexec"}
BUNDLES = (".app", ".appex", ".xpc")
NOT_HELPERS = {"Resources", "Modules", "Headers", "PkgInfo", "CodeResources", "and", "functions"}
HEX = re.compile(r"^[0-9a-f]{8,}$")
APPLE_ID = re.compile(r"/(?:LaunchDaemons|LaunchAgents|Library/Preferences)/(com\.apple\.[^/]+)\.plist$")
WALLPAPER = re.compile(r"/Library/Wallpaper/Collections/iOS_(\d+)")


def normalise(path):
    """The on-device absolute path of a listed path (the tools' top folders removed)."""
    p = path.strip()
    if p.startswith("/"):
        p = p[1:]
    if p.startswith("filesystem1/"):
        return "/" + p[len("filesystem1/") :]
    if p.startswith("filesystem2/"):
        return "/private/var/" + p[len("filesystem2/") :]
    if p.startswith("extra/") or p.startswith("path/"):
        return None
    return "/" + p


def executable(path):
    """Whether `path` is an Apple executable by the rules above."""
    if path.startswith("/private/var/") or "//" in path:
        return False
    parts = path.split("/")
    name = parts[-1]
    if not name or name.startswith("."):
        return False
    folder = "/".join(parts[:-1])
    if folder in EXEC_DIRS:
        return True
    if len(parts) < 3:
        return False
    parent = parts[-2]
    for ext in BUNDLES:
        if parent.endswith(ext) and parent[: -len(ext)] == name:
            return True
    fw = parent if parent.endswith(".framework") else None
    if parent == "Support" and parts[-3].endswith(".framework"):
        fw = parts[-3]
    if fw is not None:
        return "." not in name and name != fw[: -len(".framework")] and name not in NOT_HELPERS and not HEX.match(name)
    return False


def read_list(zpath):
    """The normalised paths of one zipped list (the CSV member that is not macOS metadata)."""
    with zipfile.ZipFile(zpath) as z:
        members = sorted(n for n in z.namelist() if n.endswith(".csv") and not n.startswith("__MACOSX/"))
        for m in members:
            with z.open(m) as raw:
                rows = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=""))
                header = next(rows, None)
                if not header or header[0] != "path":
                    raise SystemExit(f"{zpath}:{m}: not a path list (header {header!r})")
                for row in rows:
                    if row:
                        p = normalise(row[0])
                        if p is not None:
                            yield p


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: apple_catalogue.py FOLDER_OF_CSV_ZIPS > apple_executables.tsv")
    folder = sys.argv[1]
    zips = sorted(f for f in os.listdir(folder) if f.endswith(".csv.zip"))
    if not zips:
        raise SystemExit(f"{folder}: no *.csv.zip")
    seen = {}  # path -> set of labels
    images = []
    for z in zips:
        image = z[: -len(".csv.zip")]
        found = set()
        version = None
        for p in read_list(os.path.join(folder, z)):
            m = WALLPAPER.search(p)
            if m:
                v = int(m.group(1))
                version = v if version is None else max(version, v)
            if executable(p):
                found.add(p)
            m = APPLE_ID.search(p)
            if m:
                found.add(m.group(1))
        label = f"ios{version}" if version is not None else image
        images.append((image, label, sum(1 for f in found if f.startswith("/")), sum(1 for f in found if not f.startswith("/"))))
        for p in found:
            seen.setdefault(p, set()).add(label)
    out = sys.stdout
    out.write("# ferret: known-good catalogue of Apple iOS executables (generated; do not edit).\n")
    out.write("# Generator: crates/ferret-ios/data/apple_catalogue.py ../shared/real/ios-filepath-lists\n")
    out.write("# Sources: the file-path lists of real iPhone images in abrignoni/iLEAPP\n")
    out.write("# admin/data/filepath-lists/ (licence: MIT):\n")
    for image, label, n, ids in images:
        out.write(f"#   {image}.csv.zip: {label}, {n} executables, {ids} identifiers\n")
    out.write("# Format: on-device path (or com.apple identifier) <TAB> the images (iOS major versions) that have it.\n")
    for p in sorted(seen):
        out.write(f"{p}\t{','.join(sorted(seen[p]))}\n")


if __name__ == "__main__":
    main()
