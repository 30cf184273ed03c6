#!/usr/bin/env bash
# Idempotent set-up, used by both README commands (make demo, make test): builds the pinned Python environment once
# per machine and per change of pins (kept outside the clone, keyed by a hash of the pins), links it as .venv, and
# installs cilseg itself (editable) into it. No root needed. A second run with nothing changed takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
py=${PYTHON:-python3}
key=$(cat requirements.txt $(ls requirements.lock 2>/dev/null) | sha256sum | cut -c1-12)
env_root=${CILSEG_ENV_ROOT:-$HOME/.cache/cilseg}
env=$env_root/env-$key
log=$env_root/env-$key.log

build_env() {
  rm -rf "$env"                                   # a half-built environment (no stamp) is never reused
  mkdir -p "$env_root"
  "$py" -m venv "$env"
  local pip=("$env/bin/python" -m pip install --disable-pip-version-check)
  local lock=()
  [ -f requirements.lock ] && lock=(-c requirements.lock)
  # torch first: inplace-abn needs it importable at build time (ENVIRONMENT.md).
  "${pip[@]}" "${lock[@]}" -U pip wheel setuptools >>"$log" 2>&1
  "${pip[@]}" "${lock[@]}" "$(grep '^torch==' requirements.txt)" "$(grep '^torchvision==' requirements.txt)" >>"$log" 2>&1
  "${pip[@]}" "${lock[@]}" -r requirements.txt >>"$log" 2>&1
  build_inplace_abn
  "$env/bin/python" -m pip freeze --exclude-editable | grep -v '^-e ' >"$env/freeze.txt"
  touch "$env/.complete"
}

build_inplace_abn() {
  local vars=()
  if command -v nvcc >/dev/null 2>&1 && ! "$env/bin/python" -c 'import torch,sys; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then
    # nvcc but no visible GPU: name the toolkit folder (the one with lib64/libcudart.so) and a target architecture.
    local cuda_home
    cuda_home=$("$env/bin/python" - <<'PY'
import pathlib, re, shutil
nvcc = pathlib.Path(shutil.which("nvcc")).resolve()
m = re.search(r"(/\S+)/bin/nvcc", nvcc.read_text(errors="ignore")) if nvcc.stat().st_size < 4096 else None
print(pathlib.Path(m.group(1)) if m else nvcc.parent.parent)
PY
)
    vars=(CUDA_HOME="$cuda_home" TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}")
  fi
  if env "${vars[@]}" "$env/bin/python" -m pip install --disable-pip-version-check --no-build-isolation --no-cache-dir \
       inplace-abn==1.1.0 >>"$log" 2>&1 && "$env/bin/python" -c 'import inplace_abn' >>"$log" 2>&1; then
    echo "setup: inplace-abn 1.1.0 built"
  else
    "$env/bin/python" -m pip uninstall -y inplace-abn >>"$log" 2>&1 || true
    echo "setup: inplace-abn could not be built (see $log); cilseg uses its own implementation of In-Place ABN"
  fi
}

if [ ! -f "$env/.complete" ]; then
  echo "setup: building the environment $env (first time on this machine or pins changed; several minutes)"
  mkdir -p "$env_root"; : >"$log"
  if ! build_env; then
    echo "setup: FAILED building $env; the last lines of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
fi
ln -sfn "$env" .venv
# Editable install of this clone (re-pointed on every run: the environment is shared between clones).
.venv/bin/python -m pip install --disable-pip-version-check --no-deps --no-build-isolation -q -e . >>"$log" 2>&1 \
  || { echo "setup: installing cilseg from $repo failed; see $log" >&2; exit 1; }
