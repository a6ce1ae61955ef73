#!/bin/sh
# Build the conformance applets: compile the Java sources, convert them to
# CAP files with Oracle's converter, and normalise the CAPs so that a rebuild
# gives the same bytes.
#
#   conformance/applets/build.sh [path/to/java_card_kit]     (or set JC_HOME)
#
# Packages that import org.globalplatform need its export file: set
# GP_EXPORTS to the folder that holds org/globalplatform/javacard/
# globalplatform.exp (version 1.0), and GP11_EXPORTS to that of version
# 1.1 for packages that use its additions (import gp1.1). They compile
# against the declarations in <name>/stubs, which are never converted.
#
# Outputs (all committed):
#   <name>/cap/<name>.cap          canonical build: -target 3.0.5, no -debug
#   <name>/cap/<name>.exp          export file, for packages other packages import
#   variants/<target>[-debug]/<name>.cap   every package for every target,
#                                  with and without -debug
#   variants/refused.txt           combinations the converter refused
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
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

RID=0xF0:0x48:0x59:0x44:0x52:0x41
API_JAR=$KIT/lib/api_classic-3.0.5.jar
TARGETS="3.0.4 3.0.5 3.1.0 3.2.0"
CANONICAL=3.0.5

# name  package-byte  int?  applet classes (Class:instance-byte,...; - for a library)  imported package of ours (gp, gp1.1: org.globalplatform 1.0, 1.1)
PACKAGES="
arith       0x01 int ArithApplet:0x01       -
arrays      0x02 int ArraysApplet:0x01      -
objects     0x03 int ObjectsApplet:0x01     -
exceptions  0x04 -   ExceptionsApplet:0x01  -
statics     0x05 int StaticsApplet:0x01     -
transients  0x06 -   TransientsApplet:0x01  -
txn         0x07 -   TxnApplet:0x01         -
pin         0x08 -   PinApplet:0x01         -
shareserver 0x09 -   ServerApplet:0x01      -
shareclient 0x0A -   ClientApplet:0x01      shareserver
apdu        0x0B -   ApduApplet:0x01        -
personal    0x0C -   PersonalApplet:0x01    gp
cryptodigest 0x0D -  DigestApplet:0x01      -
cryptosym   0x0E -   SymApplet:0x01         -
cryptomac   0x0F -   MacApplet:0x01         -
cryptoec    0x10 -   EcApplet:0x01          -
cryptorsa   0x11 -   RsaApplet:0x01         -
cryptoaead  0x12 -   AeadApplet:0x01        -
fwlib       0x17 -   -                      -
fwvictim    0x15 -   VictimApplet:0x01      fwlib
fwattack    0x16 -   AttackApplet:0x01      fwlib
gputil      0x13 int GpUtilApplet:0x01      -
secchannel  0x14 -   SecChannelApplet:0x01  gp1.1
"

# packages that other packages of ours import: their export file is committed
IMPORTED=$(echo "$PACKAGES" | awk '$5 != "-" && $5 != "gp" && $5 != "gp1.1" && $5 != "" { print $5 }' | sort -u | tr '\n' ' ')
if echo "$PACKAGES" | awk '$5 == "gp"' | grep -q .; then
    if [ -z "${GP_EXPORTS:-}" ] || [ ! -f "$GP_EXPORTS/org/globalplatform/javacard/globalplatform.exp" ]; then
        echo "set GP_EXPORTS to the folder holding org/globalplatform/javacard/globalplatform.exp (org.globalplatform 1.0)" >&2
        exit 2
    fi
    GP_EXPORTS=$(cd "$GP_EXPORTS" && pwd)
fi
if echo "$PACKAGES" | awk '$5 == "gp1.1"' | grep -q .; then
    if [ -z "${GP11_EXPORTS:-}" ] || [ ! -f "$GP11_EXPORTS/org/globalplatform/javacard/globalplatform.exp" ]; then
        echo "set GP11_EXPORTS to the folder holding org/globalplatform/javacard/globalplatform.exp (org.globalplatform 1.1)" >&2
        exit 2
    fi
    GP11_EXPORTS=$(cd "$GP11_EXPORTS" && pwd)
fi

# compile <name> <import>
compile() {
    cp=$API_JAR
    if [ -d "$HERE/$1/stubs" ]; then
        mkdir -p "$WORK/stubs/$1"
        # shellcheck disable=SC2046
        javac --release 8 -nowarn -cp "$cp" -d "$WORK/stubs/$1" \
            $(find "$HERE/$1/stubs" -name '*.java' | LC_ALL=C sort)
        cp=$cp:$WORK/stubs/$1
    fi
    if [ "$2" != "-" ] && [ "$2" != "gp" ] && [ "$2" != "gp1.1" ]; then
        cp=$cp:$WORK/classes/$2
    fi
    mkdir -p "$WORK/classes/$1"
    # shellcheck disable=SC2046
    javac --release 8 -g -nowarn -cp "$cp" -d "$WORK/classes/$1" \
        $(find "$HERE/$1/src" -name '*.java' | LC_ALL=C sort)
}

# convert <name> <pkgbyte> <int> <applets> <import> <target> <debug:yes|no> <outdir>
convert() {
    name=$1; pkg=$2; int=$3; applets=$4; imp=$5; target=$6; debug=$7; out=$8
    set -- -nobanner -nowarn -classdir "$WORK/classes/$name" -d "$out" -out CAP EXP -target "$target"
    [ "$int" = int ] && set -- "$@" -i
    [ "$debug" = yes ] && set -- "$@" -debug
    if [ "$imp" = gp ]; then
        set -- "$@" -exportpath "$GP_EXPORTS"
    elif [ "$imp" = gp1.1 ]; then
        set -- "$@" -exportpath "$GP11_EXPORTS"
    elif [ "$imp" != "-" ]; then
        set -- "$@" -exportpath "$WORK/exp/$target"
    fi
    [ "$applets" = "-" ] && applets=""   # a library package
    for a in $(echo "$applets" | tr ',' ' '); do
        set -- "$@" -applet "$RID:$pkg:${a#*:}" "hydra.conformance.$name.${a%%:*}"
    done
    set -- "$@" "hydra.conformance.$name" "$RID:$pkg" 1.0
    status=0
    "$KIT/bin/converter.sh" "$@" > "$WORK/log" 2>&1 || status=$?
    if ! grep -q 'conversion completed with 0 errors' "$WORK/log"; then
        status=1
    fi
    return $status
}

echo "$PACKAGES" | while read -r name pkg int applets imp; do
    [ -n "$name" ] || continue
    [ -d "$HERE/$name/src" ] || { echo "missing   $name/src" >&2; exit 1; }
    echo "javac     $name"
    compile "$name" "$imp"
done

: > "$WORK/refused"
for target in $TARGETS; do
    for debug in no yes; do
        dir=$target
        [ "$debug" = yes ] && dir=$target-debug
        mkdir -p "$HERE/variants/$dir"
        echo "$PACKAGES" | while read -r name pkg int applets imp; do
            [ -n "$name" ] || continue
            out=$WORK/out/$dir
            if convert "$name" "$pkg" "$int" "$applets" "$imp" "$target" "$debug" "$out"; then
                built=$out/hydra/conformance/$name/javacard
                cp "$built/$name.cap" "$HERE/variants/$dir/$name.cap"
                python3 "$HERE/tools/normcap.py" "$HERE/variants/$dir/$name.cap"
                if [ "$debug" = no ]; then
                    # export files for the packages that import this one
                    mkdir -p "$WORK/exp/$target/hydra/conformance/$name/javacard"
                    cp "$built/$name.exp" "$WORK/exp/$target/hydra/conformance/$name/javacard/"
                fi
                if [ "$debug" = no ] && [ "$target" = "$CANONICAL" ]; then
                    mkdir -p "$HERE/$name/cap"
                    cp "$HERE/variants/$dir/$name.cap" "$HERE/$name/cap/$name.cap"
                    case " $IMPORTED " in
                    *" $name "*) cp "$built/$name.exp" "$HERE/$name/cap/$name.exp" ;;
                    esac
                fi
                echo "converted $dir/$name"
            else
                if [ "$debug" = no ] && [ "$target" = "$CANONICAL" ]; then
                    cat "$WORK/log" >&2
                    echo "canonical build of $name failed" >&2
                    exit 1
                fi
                reason=$(grep -E '\[ (ERROR|SEVERE) \]' "$WORK/log" | head -1 | sed -E 's/^\[ [A-Z]+ \] *//')
                rm -f "$HERE/variants/$dir/$name.cap"
                echo "refused   $dir/$name: $reason"
                echo "$dir $name: $reason" >> "$WORK/refused"
            fi
        done
    done
done
cp "$WORK/refused" "$HERE/variants/refused.txt"
echo "done"
