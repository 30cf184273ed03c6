"""Refresh the figures committed in notebooks: `python tools/refresh_figures.py nbs/05_synth.ipynb ...`.

Runs each notebook as `nbdev_test` does (cells marked slow, cuda or notest skipped, from the notebook's folder) and
keeps the outputs of the figure cells only, those with quarto's `#| fig-cap:` or `#| tbl-cap:` option: their images
(PNG, not retina), HTML tables and text reprs; streams and every other cell's outputs are dropped. Run `nbdev_clean`
after it. Set CILSEG_DATA and CILSEG_OUTPUTS to a temporary folder to keep generated data out of the checkout.
"""
import os, re, sys, time
from pathlib import Path

from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell

SKIPPED = re.compile(r'^#\|\s*(slow|cuda|notest)\s*$', re.M)
FIGURE = re.compile(r'^#\|\s*(fig|tbl)-cap\s*:', re.M)
KEPT = ('image/png', 'text/html', 'text/plain')


def refresh(path: Path) -> list[int]:
    "Execute `path` and write it back with the figure cells' outputs only; returns each figure cell's output count."
    nb, shell, cwd = read_nb(path), CaptureShell(path, mpl_format='png'), os.getcwd()
    os.chdir(path.parent)
    try: shell.run_all(nb, exc_stop=True, preproc=lambda c: c.cell_type != 'code' or bool(SKIPPED.search(c.source)))
    finally: os.chdir(cwd)
    counts = []
    for c in (c for c in nb.cells if c.cell_type == 'code'):
        keep = [o for o in c.get('outputs', []) if FIGURE.search(c.source) and o.get('output_type') in ('display_data', 'execute_result')]
        for o in keep:
            o['data'], o['metadata'] = {m: v for m, v in o['data'].items() if m in KEPT}, {}
            if 'execution_count' in o: o['execution_count'] = None
        c['outputs'], c['execution_count'] = keep, None
        if FIGURE.search(c.source): counts.append(len(keep))
    write_nb(nb, path)
    return counts


if __name__ == '__main__':
    os.environ['IN_TEST'] = '1'   # as under nbdev_test
    for p in map(Path, sys.argv[1:]):
        t0 = time.time()
        counts = refresh(p)
        print(f"{p}: {len(counts)} figure cells, outputs {counts}, {time.time() - t0:.0f} s")
        if 0 in counts: sys.exit(f"{p}: a figure cell produced no output")
