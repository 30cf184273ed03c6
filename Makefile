# The README's two commands: `make demo` (the main job) and `make test` (the test suite). Both set up first.
.PHONY: setup test test-slow check-clones bench-setup demo demo-reference gpu-check bench docs docs-check lab export clean-nbs
PY := .venv/bin/python

setup:
	@bash tools/setup.sh

test: setup
	@$(PY) tools/run_tests.py

test-slow: setup
	@$(PY) tools/run_tests.py --flags "slow"

# Two clones of this checkout, set up side by side, each run their own code; deleting one breaks nothing in the other.
check-clones: setup
	@$(PY) tools/check_clones.py
# The same, the first clone building the base from nothing (minutes, ~5.5 GB): writes outputs/recorded/setup_times.json.
bench-setup: setup
	@$(PY) tools/check_clones.py --fresh-base

# The main job: synth dataset, FT/LwF/ILT/MiB/Joint on synth 15-5 overlapped through the papermill template
# (torchrun inside), the analysis notebooks rendered, the results table printed (cilseg.experiments.demo).
# SEEDS=3 runs seeds 0, 1, 2 (mean ± std and n in every table); it ends with the time breakdown and the comparison
# with the reference results (outputs/recorded/demo_reference.json).
SEEDS ?= 1
demo: setup
	@$(PY) -m cilseg.experiments demo --seeds $(SEEDS)

# After `make demo SEEDS=3` on the project's machine: record its runs as the reference results and regenerate the
# README's demo-results section from them.
demo-reference: setup
	@$(PY) -m cilseg.experiments record-reference
	@$(PY) -m cilseg.experiments readme

# On a GPU machine: inplace-abn vs own layer, NCCL sync, fp16/bf16 steps, the MiB-step benchmark (outputs/gpu_check/).
# Without a GPU it runs its CPU parts and exits 0.
gpu-check: setup
	@$(PY) -m cilseg.gpu_check

# On this machine's CPU: cilseg's training step, activation memory, label mapping, split derivation and data loading
# as ratios against independent anchors (torchvision, plain batch norm, the original's ways), in one run;
# the table is printed and written to outputs/bench/bench.json.
bench: setup
	@$(PY) -m cilseg.bench

# The documentation site in _docs/ (open _docs/index.html): a page per notebook with its committed figures, and the
# API reference, built offline by nbdev's docs processors and Jupyter's HTML exporter (cilseg.docs; no quarto here).
docs: setup
	@$(PY) -m cilseg.docs
# The same, then its pages opened in headless Chromium (Debian's chromium): images load, links answer, screenshots
# in outputs/docs_check/.
docs-check: setup
	@$(PY) -m cilseg.docs --check

lab: setup
	.venv/bin/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root)

# For contributors: regenerate cilseg/ from the notebooks and strip notebook metadata before committing.
export: setup
	.venv/bin/nbdev_export
clean-nbs: setup
	.venv/bin/nbdev_clean
