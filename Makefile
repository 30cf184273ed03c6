# The README's two commands: `make demo` (the main job) and `make test` (the test suite). Both set up first.
.PHONY: setup test test-slow demo lab export clean-nbs
PY := .venv/bin/python

setup:
	@bash tools/setup.sh

test: setup
	@$(PY) tools/run_tests.py

test-slow: setup
	@$(PY) tools/run_tests.py --flags "slow"

# The main job: synth dataset, FT/LwF/ILT/MiB/Joint on synth 15-5 overlapped through the papermill template
# (torchrun inside), the analysis notebooks rendered, the results table printed (cilseg.experiments.demo).
demo: setup
	@$(PY) -m cilseg.experiments demo

lab: setup
	.venv/bin/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root)

# For contributors: regenerate cilseg/ from the notebooks and strip notebook metadata before committing.
export: setup
	.venv/bin/nbdev_export
clean-nbs: setup
	.venv/bin/nbdev_clean
