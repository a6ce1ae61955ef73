#!/usr/bin/env python3
"""Make a converter-built CAP file reproducible.

The converter stamps the wall-clock time into the JAR: in every entry's
modification time and in the manifest attribute Java-Card-CAP-Creation-Time.
This rewrites the archive in place with the same entries, in the same order,
with a fixed time in both places. The CAP components themselves are not
touched.
"""
import re
import sys
import zipfile

FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
FIXED_MANIFEST_TIME = "Sat Jan 01 00:00:00 UTC 2000"


def normalise(path):
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w") as dst:
        for info, data in entries:
            if info.filename == "META-INF/MANIFEST.MF":
                data = re.sub(
                    rb"(Java-Card-CAP-Creation-Time: )[^\r\n]*",
                    b"\\g<1>" + FIXED_MANIFEST_TIME.encode(),
                    data,
                )
            out = zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME)
            out.compress_type = info.compress_type
            out.external_attr = info.external_attr
            out.create_system = 0
            dst.writestr(out, data)


if __name__ == "__main__":
    for p in sys.argv[1:]:
        normalise(p)
