#!/usr/bin/env bash
# Idempotent set-up, used by both README commands (make demo, make test). Two layers:
#  1. the base environment: every pinned package (torch, Jupyter, the built inplace-abn), built once per machine and
#     per change of pins or torch build, kept outside the clone (`$CILSEG_ENV_ROOT`, default ~/.cache/cilseg) under
#     a hash of the pins, and made read-only once complete, so no clone can change it;
#  2. this clone's own `.venv` (tools/clone_env.py): a small virtual environment layered on the base, with its own
#     console scripts and Jupyter kernels and an editable install of this clone. Clones never see each other's code.
# The torch build: CILSEG_TORCH=default (PyPI's, CUDA 13.0) | cu126 | cu128 | cu130 | cpu (PyTorch's own wheel index).
# No root needed. A second clone, or a second run, takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
py=${PYTHON:-python3}
variant=${CILSEG_TORCH:-default}
case "$variant" in default|cu126|cu128|cu130|cpu) ;;
  *) echo "setup: CILSEG_TORCH=$variant: expected default, cu126, cu128, cu130 or cpu" >&2; exit 2 ;; esac
layout=2   # bump when the base's layout changes: bases of another layout are never reused
lock=requirements.lock
[ "$variant" = default ] || lock=requirements-$variant.lock
key=$( (echo "layout $layout variant $variant"; cat requirements.txt; cat "$lock" 2>/dev/null || true) | sha256sum | cut -c1-12)
env_root=${CILSEG_ENV_ROOT:-$HOME/.cache/cilseg}
base=$env_root/base-$key
log=$env_root/base-$key.log

pip_in() { "$base/bin/python" -m pip install --disable-pip-version-check "$@" >>"$log" 2>&1; }

build_base() {
  rm -rf "$base"                                  # a half-built environment (no stamp) is never reused
  "$py" -m venv "$base"
  local cons=()
  if [ -f "$lock" ]; then cons=(-c "$lock")
  else   # another torch build and no lock for it yet: the default lock without its CUDA packages, re-solved below
    grep -vE '^(nvidia-|cuda-|triton==|torch==|torchvision==)' requirements.lock >"$base/constraints.txt"
    cons=(-c "$base/constraints.txt")
  fi
  pip_in "${cons[@]}" -U pip wheel setuptools
  # torch first: inplace-abn needs it importable at build time (ENVIRONMENT.md).
  local torch_pins=("$(grep '^torch==' requirements.txt)" "$(grep '^torchvision==' requirements.txt)")
  if [ "$variant" = default ]; then pip_in "${cons[@]}" "${torch_pins[@]}"
  else pip_in "${cons[@]}" --index-url "https://download.pytorch.org/whl/$variant" "${torch_pins[@]}"; fi
  pip_in "${cons[@]}" -r requirements.txt
  build_inplace_abn
  "$base/bin/python" -m pip freeze --exclude-editable | grep -v '^-e ' >"$base/freeze.txt"
  if [ ! -f "$lock" ]; then
    { echo "# The lock of CILSEG_TORCH=$variant, solved by tools/setup.sh on $(date -u +%F) ($(uname -m))."
      grep -v '^inplace.abn' "$base/freeze.txt"; } >"$repo/$lock"
    echo "setup: wrote $lock (the pins solved for the $variant build); commit it so other machines get the same"
  fi
  touch "$base/.complete"
  chmod -R a-w "$base"                            # read-only: a clone's pip cannot change what other clones run
}

build_inplace_abn() {
  # Compiled against the torch just installed, for the GPUs of this machine (or TORCH_CUDA_ARCH_LIST), or CPU-only.
  local vars=() archs
  archs=$("$base/bin/python" - <<'PY'
import os, torch
if torch.version.cuda is None: print('none')
elif os.environ.get('TORCH_CUDA_ARCH_LIST'): print(os.environ['TORCH_CUDA_ARCH_LIST'])
elif torch.cuda.is_available():
    print(';'.join(sorted({'%d.%d' % torch.cuda.get_device_capability(i) for i in range(torch.cuda.device_count())})))
else: print('9.0')   # no GPU visible: H100/H200 (set TORCH_CUDA_ARCH_LIST for others)
PY
)
  if [ "$archs" != none ]; then
    if ! command -v nvcc >/dev/null 2>&1; then
      echo "setup: no nvcc on PATH, so inplace-abn cannot be compiled; cilseg uses its own implementation of In-Place ABN"
      return 0
    fi
    local cuda_home   # the toolkit folder with lib64/libcudart.so (the nvcc on PATH may be a wrapper script)
    cuda_home=$("$base/bin/python" - <<'PY'
import pathlib, re, shutil
nvcc = pathlib.Path(shutil.which("nvcc")).resolve()
m = re.search(r"(/\S+)/bin/nvcc", nvcc.read_text(errors="ignore")) if nvcc.stat().st_size < 4096 else None
print(pathlib.Path(m.group(1)) if m else nvcc.parent.parent)
PY
)
    vars=(CUDA_HOME="${CUDA_HOME:-$cuda_home}" TORCH_CUDA_ARCH_LIST="$archs")
  fi
  echo "inplace-abn build: torch $("$base/bin/python" -c 'import torch; print(torch.__version__)'), CUDA architectures: $archs" >>"$log"
  if env "${vars[@]}" "$base/bin/python" -m pip install --disable-pip-version-check --no-build-isolation --no-cache-dir \
       inplace-abn==1.1.0 >>"$log" 2>&1 && "$base/bin/python" -c 'import inplace_abn' >>"$log" 2>&1; then
    echo "setup: inplace-abn 1.1.0 built ($([ "$archs" = none ] && echo 'CPU only' || echo "CUDA architectures $archs"))"
  else
    "$base/bin/python" -m pip uninstall -y inplace-abn >>"$log" 2>&1 || true
    echo "setup: inplace-abn could not be built (see $log); cilseg uses its own implementation of In-Place ABN"
  fi
}

if [ ! -f "$base/.complete" ]; then
  echo "setup: building the base environment $base (first time on this machine or pins changed; several minutes)"
  mkdir -p "$env_root"
  [ -d "$base" ] && chmod -R u+w "$base"
  : >"$log"
  if ! build_base; then
    echo "setup: FAILED building $base; the last lines of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
fi
# This clone's own environment, (re)made when missing, an old-style link, or layered on another base.
if [ -L .venv ] || [ "$(cat .venv/cilseg-base.txt 2>/dev/null)" != "$(cd "$base" && pwd -P)" ]; then
  rm -rf .venv
  "$base/bin/python" tools/clone_env.py "$base" .venv
fi
if ! .venv/bin/python -c 'import cilseg, pathlib, sys; sys.exit(pathlib.Path(cilseg.__file__).parent != pathlib.Path("cilseg").resolve())' 2>/dev/null \
   || [ ! -x .venv/bin/cilseg-train ] || [ setup.py -nt .venv/cilseg-installed ] || [ settings.ini -nt .venv/cilseg-installed ]; then
  .venv/bin/python -m pip install --disable-pip-version-check --no-deps --no-build-isolation -q -e . >.venv/install.log 2>&1 \
    || { echo "setup: installing cilseg from $repo failed; see .venv/install.log" >&2; exit 1; }
  touch .venv/cilseg-installed
fi
