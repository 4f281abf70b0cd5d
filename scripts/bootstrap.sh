#!/usr/bin/env bash
# Installs what Colony needs on Debian/Ubuntu beyond Swift itself: LMDB's
# headers and library (liblmdb-dev) and pkg-config, which SwiftPM uses to find them.
# Idempotent: does nothing when they are already installed.
set -euo pipefail

needed=()
dpkg -s liblmdb-dev >/dev/null 2>&1 || needed+=(liblmdb-dev)
command -v pkg-config >/dev/null 2>&1 || needed+=(pkg-config)

if [ ${#needed[@]} -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    echo "bootstrap: installing ${needed[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${needed[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "bootstrap: Swift 6.1 or newer is required (https://www.swift.org/install/linux/)" >&2
    exit 1
fi
