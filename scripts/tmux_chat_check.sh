#!/usr/bin/env bash
# Drive `bot chat` in a real terminal (tmux): ask a question, check the cited answer appears,
# then quit with Ctrl-D. Exits non-zero, with the captured screen, on any failure.
#
#   scripts/tmux_chat_check.sh [QUESTION] [EXPECTED]
#
# Indexes the repository's seeds/ into a temporary directory (the default index is never
# touched). Installs tmux with apt-get when it is missing and we are root.
set -euo pipefail

question=${1:-"Who is the Foreign Ministry spokesman?"}
expected=${2:-"Lukashevich"}
repo=$(cd "$(dirname "$0")/.." && pwd)
bot="${BOT:-$(command -v bot || echo "$repo/.venv/bin/bot")}"

if ! command -v tmux >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y tmux >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y tmux >/dev/null; }
  else
    echo "tmux is not installed (apt-get install tmux)" >&2
    exit 2
  fi
fi

work=$(mktemp -d)
session="botchat-$$"
cleanup() {
  tmux kill-session -t "$session" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export BOT_INDEX_DIR="$work/index" XDG_STATE_HOME="$work/state" BOT_CACHE_DIR="${BOT_CACHE_DIR:-${TMPDIR:-/tmp}/botcache}"
"$bot" index "$repo/seeds" >/dev/null

screen() { tmux capture-pane -p -J -t "$session" -S -300; }
wait_for() {  # wait_for PATTERN SECONDS WHAT
  local deadline=$((SECONDS + $2))
  until screen | grep -qF -- "$1"; do
    if [ $SECONDS -ge $deadline ]; then
      echo "FAILED: no $3 after $2 s; the screen was:" >&2
      screen >&2
      exit 1
    fi
    sleep 0.2
  done
}

tmux new-session -d -s "$session" -x 160 -y 50 \
  "'$bot' chat; echo \"bot chat exited with \$?\"; sleep 60"
wait_for "Ask a question" 60 "banner"
tmux send-keys -t "$session" -l "$question"
tmux send-keys -t "$session" Enter
wait_for "Sources:" 120 "answer"
wait_for "$expected" 5 "expected text '$expected' in the answer"
tmux send-keys -t "$session" C-d
wait_for "bot chat exited with 0" 20 "clean exit on Ctrl-D"
if screen | grep -q "Traceback"; then
  echo "FAILED: a traceback appeared" >&2
  screen >&2
  exit 1
fi
echo "ok: bot chat answered '$question' with '$expected' under tmux, and Ctrl-D quit with exit 0"
