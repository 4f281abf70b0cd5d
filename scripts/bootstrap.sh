#!/usr/bin/env bash
# Installs what Colony needs on Debian/Ubuntu beyond Swift itself: LMDB's
# headers and library (liblmdb-dev) and pkg-config, which SwiftPM uses to find them;
# valgrind, for the regression gate CI runs (scripts/regression-gate.sh);
# and, for the end-to-end tests (Tests/e2e), the official MCP Python SDK.
# Idempotent: does nothing when they are already installed.
set -euo pipefail

needed=()
dpkg -s liblmdb-dev >/dev/null 2>&1 || needed+=(liblmdb-dev)
command -v pkg-config >/dev/null 2>&1 || needed+=(pkg-config)
# valgrind: the instruction-count regression gate (scripts/regression-gate.sh) that CI runs.
command -v valgrind >/dev/null 2>&1 || needed+=(valgrind)

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

# The end-to-end tests drive `colony serve` with the official MCP Python SDK.
mcp_version="2.3.0"
if ! command -v python3 >/dev/null 2>&1; then
    echo "bootstrap: python3 is required for the end-to-end tests (apt-get install python3 python3-pip)" >&2
    exit 1
fi
installed=$(python3 -c 'import importlib.metadata as m, mcp; print(m.version("mcp"))' 2>/dev/null || true)
if [ "$installed" != "$mcp_version" ]; then
    echo "bootstrap: installing the Python MCP SDK (mcp==$mcp_version${installed:+, replacing $installed})" >&2
    if ! python3 -m pip install --quiet "mcp==$mcp_version"; then
        echo "bootstrap: pip could not install mcp==$mcp_version into $(command -v python3); with Debian's own" >&2
        echo "bootstrap: Python (PEP 668), activate a virtual environment first: python3 -m venv ~/.venvs/colony" >&2
        exit 1
    fi
fi
