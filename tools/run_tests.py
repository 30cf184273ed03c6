"""The project's test suite, as run by `make test` and CI: notebooks clean, package in sync, every notebook runs.

Ends with one line `N passed, M failed` counting the three checks and the notebooks. Exit status 1 on any failure.
`--flags "slow"` also runs cells marked `#| slow`; `--path` limits the notebooks (a file or glob under nbs/).
"""
import argparse, filecmp, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

from fastcore.parallel import parallel
from nbdev.config import get_config
from nbdev.doclinks import nbglob
from nbdev.test import test_nb, _keep_file

root = Path(__file__).resolve().parent.parent


def unclean_notebooks() -> list[str]:
    "Notebooks that `nbdev_clean` would change (checked on a copy, the working tree is left alone)."
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(root/'settings.ini', tmp)
        shutil.copytree(root/'nbs', Path(tmp)/'nbs')
        subprocess.run([sys.executable, '-c', 'from nbdev.clean import nbdev_clean; nbdev_clean()'],
                       cwd=tmp, check=True, capture_output=True)
        return [str(p.relative_to(root)) for p in sorted((root/'nbs').rglob('*.ipynb'))
                if '.ipynb_checkpoints' not in p.parts
                and not filecmp.cmp(p, Path(tmp)/p.relative_to(root), shallow=False)]


def export_drift() -> list[str]:
    "Files of the package that `nbdev_export` changes or creates, or that git does not track."
    lib = root/get_config().lib_path.name
    before = {p: p.read_bytes() for p in lib.rglob('*.py')}
    subprocess.run([sys.executable, '-c', 'from nbdev.doclinks import nbdev_export; nbdev_export()'],
                   cwd=root, check=True, capture_output=True)
    after = {p: p.read_bytes() for p in lib.rglob('*.py')}
    changed = sorted(str(p.relative_to(root)) for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    status = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=all', '--', str(lib)],
                            cwd=root, capture_output=True, text=True, check=True).stdout
    untracked = [l[3:] for l in status.splitlines() if l.startswith('??') and not l.endswith('.pyc')
                 and '__pycache__' not in l]
    return changed + [f'{u} (not tracked by git)' for u in untracked]


def two_clones(tmp: str) -> list[str]:
    "The failures of tools/check_clones.py (two clones set up side by side each run their own code) in TMPDIR `tmp`."
    p = subprocess.run([sys.executable, str(root/'tools'/'check_clones.py')], cwd=root, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env={**os.environ, 'TMPDIR': tmp}, text=True, errors='replace')
    if p.returncode == 0: return []
    lines = p.stdout.rstrip().splitlines()
    return [l for l in lines if l.startswith('FAIL') or l.startswith('      ')] or lines[-20:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--flags', default='', help='test flags to run that are skipped by default (e.g. "slow")')
    ap.add_argument('--path', default=None, help='a notebook or glob under nbs/ (default: all)')
    ap.add_argument('--n_workers', type=int, default=2)
    args = ap.parse_args()
    passed = failed = 0
    # Everything the tests write (temporary folders, default data and outputs roots) goes to one folder that is
    # removed at the end, so a test run leaves nothing behind in the checkout or in /tmp.
    scratch = tempfile.TemporaryDirectory(prefix='cilseg-tests-')

    checks = [('notebooks are clean (nbdev_clean)', unclean_notebooks),
              ('package is in sync with the notebooks (nbdev_export)', export_drift),
              ('two clones each run their own code (tools/check_clones.py)', lambda: two_clones(scratch.name))]
    for name, check in checks:
        t0 = time.time()
        bad = check()
        print(f"{'ok  ' if not bad else 'FAIL'} {name} ({time.time() - t0:.0f} s)"
              + ''.join(f'\n       {b}' for b in bad), flush=True)
        passed, failed = passed + (not bad), failed + bool(bad)

    # Notebooks run two at a time on a 2-core machine: one math thread each avoids oversubscription (measured: a
    # ResNet forward was ~40x slower with 2 threads per process under load).
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    os.environ.update(TMPDIR=scratch.name, CILSEG_DATA=f'{scratch.name}/data', CILSEG_OUTPUTS=f'{scratch.name}/outputs')
    tempfile.tempdir = scratch.name
    cfg = get_config()
    files = [f.absolute() for f in sorted(nbglob(args.path, as_path=True)) if _keep_file(f, '.notest')]
    t0 = time.time()
    results = parallel(test_nb, files, skip_flags=cfg.tst_flags.split(), force_flags=args.flags.split(),
                       n_workers=min(args.n_workers, len(files)), basepath=cfg.config_path, pause=0.5)
    for f, (ok, secs) in zip(files, results):
        print(f"{'ok  ' if ok else 'FAIL'} {f.relative_to(root)} ({secs:.0f} s)", flush=True)
        passed, failed = passed + bool(ok), failed + (not ok)
    print(f"notebooks: {len(files)} in {time.time() - t0:.0f} s")
    scratch.cleanup()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
