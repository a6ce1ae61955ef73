#!/bin/sh
# Build the benchmark applets: compile the Java sources, convert them to CAP
# files with Oracle's converter (-target 3.0.5) and normalise the CAPs with
# the conformance suite's tool so that a rebuild gives the same bytes.
#
#   benches/applets/build.sh [path/to/java_card_kit]     (or set JC_HOME)
#
# Output (committed): <name>/cap/<name>.cap
set -eu

KIT=${1:-${JC_HOME:-}}
if [ -z "$KIT" ] || [ ! -x "$KIT/bin/converter.sh" ]; then
    echo "usage: $0 <Java Card kit directory> (or set JC_HOME); $KIT/bin/converter.sh not found" >&2
    exit 2
fi
KIT=$(cd "$KIT" && pwd)
if [ -z "${JAVA_HOME:-}" ]; then
    JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
fi
export JAVA_HOME

HERE=$(cd "$(dirname "$0")" && pwd)
NORMCAP=$HERE/../../conformance/applets/tools/normcap.py
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

RID=0xF0:0x48:0x59:0x44:0x52:0x41
API_JAR=$KIT/lib/api_classic-3.0.5.jar
TARGET=3.0.5

# name  package-byte  int?  applet class
PACKAGES="
crc         0x21 int CrcApplet
xtea        0x22 int XteaApplet
sha256      0x23 int Sha256Applet
bignum      0x24 -   BignumApplet
sort        0x25 -   SortApplet
tlv         0x26 -   TlvApplet
purse       0x27 -   PurseApplet
objects     0x28 -   ObjectsApplet
exceptions  0x29 -   ExceptionsApplet
"

echo "$PACKAGES" | while read -r name pkg int applet; do
    [ -n "$name" ] || continue
    [ -d "$HERE/$name/src" ] || { echo "missing   $name/src" >&2; exit 1; }
    echo "javac     $name"
    mkdir -p "$WORK/classes/$name"
    # shellcheck disable=SC2046
    javac --release 8 -g -nowarn -cp "$API_JAR" -d "$WORK/classes/$name" \
        $(find "$HERE/$name/src" -name '*.java' | LC_ALL=C sort)
    set -- -nobanner -nowarn -classdir "$WORK/classes/$name" -d "$WORK/out" -out CAP -target "$TARGET"
    [ "$int" = int ] && set -- "$@" -i
    set -- "$@" -applet "$RID:$pkg:0x01" "hydra.bench.$name.$applet" "hydra.bench.$name" "$RID:$pkg" 1.0
    if ! "$KIT/bin/converter.sh" "$@" > "$WORK/log" 2>&1 ||
        ! grep -q 'conversion completed with 0 errors' "$WORK/log"; then
        cat "$WORK/log" >&2
        echo "conversion of $name failed" >&2
        exit 1
    fi
    mkdir -p "$HERE/$name/cap"
    cp "$WORK/out/hydra/bench/$name/javacard/$name.cap" "$HERE/$name/cap/$name.cap"
    python3 "$NORMCAP" "$HERE/$name/cap/$name.cap"
    echo "converted $name"
done
echo "done"
