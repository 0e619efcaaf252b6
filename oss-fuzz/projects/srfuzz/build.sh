#!/bin/bash -eu
# OSS-Fuzz calls this in the Rust builder image; the project's own script does the work.
exec "$SRC/srfuzz/.clusterfuzzlite/build.sh"
