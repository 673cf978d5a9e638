#!/usr/bin/env bash
# Create or update the two virtual environments; fast when nothing changed.
#   .venvs/bot     Python >= 3.11  the Telegram bot, sandboxes and tests (pyproject.toml)
#   .venvs/engine  Python 3.10     Rasa 3.6 server and action server (requirements/engine.txt)
set -euo pipefail
cd "$(dirname "$0")/.."

pyenv_root() { command -v pyenv >/dev/null 2>&1 && pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}"; }

# Print the first interpreter whose version satisfies the Python expression $1.
find_python() {
  local test="$1"; shift
  local candidate
  for candidate in "$@"; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c "import sys; sys.exit(0 if ($test) else 1)" >/dev/null 2>&1; then
      command -v "$candidate" 2>/dev/null || echo "$candidate"
      return 0
    fi
  done
  return 1
}

pyenv_pythons() {  # newest first
  local minor="$1"
  ls -d "$(pyenv_root)"/versions/"$minor".*/bin/python"$minor" 2>/dev/null | sort -V -r || true
}

ensure_venv() {  # name python requirements-file
  local name="$1" python="$2" reqs="$3"
  local venv=".venvs/$name" stamp=".venvs/$name/.installed"
  local want; want="$(sha256sum "$reqs" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.version.split()[0])')"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
    return 0
  fi
  echo "» preparing the $name environment ($venv, $("$python" --version 2>&1)) …"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
  fi
  # (this machine's pip config points at local mirrors that warn about missing folders: hide that)
  "$venv/bin/python" -m pip install --quiet --upgrade pip 2> >(grep -v "is ignored" >&2)
  "$venv/bin/python" -m pip install --quiet -r "$reqs" 2> >(grep -v "is ignored" >&2)
  "$venv/bin/python" -m pip check >/dev/null 2>&1 || "$venv/bin/python" -m pip check
  echo "$want" > "$stamp"
}

mkdir -p .venvs var

BOT_PY="$(find_python 'sys.version_info >= (3, 11)' python3 python3.13 python3.12 python3.11 \
  $(pyenv_pythons 3.12) $(pyenv_pythons 3.11) $(pyenv_pythons 3.13))" || {
  echo "✗ Python 3.11 or newer is needed for the bot. Install it (e.g. 'pyenv install 3.11') and retry." >&2
  exit 1
}
ENGINE_PY="$(find_python 'sys.version_info[:2] == (3, 10)' python3.10 $(pyenv_pythons 3.10))" || {
  echo "✗ Python 3.10 is needed for Rasa 3.6 (it does not run on 3.11+)." >&2
  echo "  Install it with 'pyenv install 3.10' (or your distribution's python3.10) and retry." >&2
  exit 1
}

# The bot's requirements come from pyproject.toml (runtime + dev extras).
"$BOT_PY" - > var/bot-requirements.txt <<'PY'
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["dev"]))
PY
ensure_venv bot "$BOT_PY" var/bot-requirements.txt
ensure_venv engine "$ENGINE_PY" requirements/engine.txt
