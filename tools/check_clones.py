"""Check that two clones of this checkout, set up side by side on one machine, each run their own cilseg code.

Clones the checkout as it is now (its commit plus its uncommitted changes) twice into one temporary folder, sets
each up with `tools/setup.sh` (timed), deletes the first clone, then checks in the second that its console script,
its Jupyter kernel and a 2-process torchrun all run the second clone's code. Prints one line per check and exits
with status 1 on any failure. Everything goes into a temporary folder (under $TMPDIR) that is removed at the end.

`--fresh-base`: the first set-up also builds the base environment from nothing (a temporary CILSEG_ENV_ROOT, pip's
cache off: minutes and ~5.5 GB), and the set-up times are recorded in outputs/recorded/setup_times.json.
"""
import argparse, datetime, json, os, platform, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

root = Path(__file__).resolve().parent.parent
RECORD = root/'outputs'/'recorded'/'setup_times.json'
SECOND_SETUP_LIMIT = 60   # seconds: a second clone on a built base must only make its small .venv
BUILDING = 'building the base environment'   # what setup.sh prints when it builds the base
TINY = ['--dataset', 'synth', '--task', '15-5', '--step', '0', '--method', 'FT', '--synth_images', '48', '16',
        '--epochs', '1', '--batch_size', '8', '--crop_size', '32', '--backbone', 'resnet18', '--head_channels', '16',
        '--num_workers', '0', '--device', 'cpu']
failures = []


def report(name: str, problem: str | None):
    "Print one check's line and remember a failure."
    print(f"ok   {name}" if problem is None else f"FAIL {name}: {problem}", flush=True)
    if problem is not None: failures.append(name)


def run(cmd: list, cwd: Path, env: dict, timeout: float = 600) -> tuple[int, str]:
    "Run `cmd`; its exit status and its output (stdout and stderr together)."
    try: p = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors='replace', timeout=timeout)
    except subprocess.TimeoutExpired as e: return 124, f"{e.output or ''}\n(timed out after {timeout:.0f} s)"
    return p.returncode, p.stdout


def failed(cmd: list, rc: int, out: str, lines: int = 15) -> str:
    "A failure message naming the command, with the last lines of its output."
    tail = '\n'.join('       ' + l for l in out.rstrip().splitlines()[-lines:])
    return f"`{' '.join(map(str, cmd))}` exited with status {rc}; its last lines:\n{tail}"


def git(*args, cwd: Path = root) -> str:
    return subprocess.run(['git', *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def inside(path: str, folder: Path) -> bool:
    "Is `path` in `folder`? Its parent is resolved, not the file: a venv's `python` is a link out of the venv."
    p = Path(path)
    return (p.parent.resolve()/p.name).is_relative_to(folder.resolve())


def clone_checkout(dest: Path):
    "Clone the checkout with its uncommitted state, so that a developer's uncommitted change is what gets tested."
    subprocess.run(['git', 'clone', '--quiet', str(root), str(dest)], check=True)
    changed = [f for f in git('ls-files', '-z', '-m', '-o', '--exclude-standard').split('\0') if f]
    for f in changed:   # modified and untracked (not ignored) files; deleted ones are listed by -m too
        src = root/f
        if not (src.is_file() or src.is_symlink()): continue
        (dest/f).parent.mkdir(parents=True, exist_ok=True)
        if (dest/f).is_symlink() or (dest/f).exists(): (dest/f).unlink()
        shutil.copy2(src, dest/f, follow_symlinks=False)
    for f in (f for f in git('ls-files', '-z', '-d').split('\0') if f):
        if (dest/f).is_file() or (dest/f).is_symlink(): (dest/f).unlink()


def child_env(tmp: Path, env_root: Path | None) -> dict:
    "The environment of every command: the caller's, with the folders that a check writes to inside `tmp`."
    env = dict(os.environ)
    # A caller's activated environment or module path would decide which code runs, not the clone's own .venv.
    for k in ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV', 'PYTHONSTARTUP'): env.pop(k, None)
    env['PATH'] = os.pathsep.join(p for p in env.get('PATH', '').split(os.pathsep)
                                  if p and not Path(p).absolute().is_relative_to(root))
    for sub in ('tmp', 'jupyter-runtime', 'ipython', 'mpl'): (tmp/sub).mkdir(exist_ok=True)
    env.update(TMPDIR=str(tmp/'tmp'), CILSEG_DATA=str(tmp/'data'), CILSEG_OUTPUTS=str(tmp/'outputs'),
               JUPYTER_RUNTIME_DIR=str(tmp/'jupyter-runtime'), IPYTHONDIR=str(tmp/'ipython'),
               MPLCONFIGDIR=str(tmp/'mpl'), OMP_NUM_THREADS='1', PYTHONDONTWRITEBYTECODE='1')
    if env_root is not None: env.update(CILSEG_ENV_ROOT=str(env_root), PIP_NO_CACHE_DIR='1')
    return env


def set_up(clone: Path, env: dict, timeout: float) -> tuple[float, int, str]:
    "Run the clone's tools/setup.sh: seconds taken, exit status, output."
    t0 = time.perf_counter()
    rc, out = run(['bash', 'tools/setup.sh'], clone, env, timeout)
    return time.perf_counter() - t0, rc, out


def downloads(text: str) -> dict:
    "What pip fetched, from the lines of its log: packages from the network (and MB) and from local files."
    mb = {'kB': 1e-3, 'MB': 1.0, 'GB': 1e3}
    net = re.findall(r'^\s*Downloading \S+ \(([\d.]+) (kB|MB|GB)\)', text, re.M)
    local = re.findall(r'^Processing /\S+\.whl', text, re.M)
    return {'from_network': len(net), 'network_mb': round(sum(float(n)*mb[u] for n, u in net), 1),
            'from_local_files': len(local)}


def provenance(outputs: Path, name: str) -> tuple[dict | None, str]:
    "The code provenance a run recorded in its step-0 config.json and results.json (which must agree)."
    found = sorted((outputs/name).glob('**/step0/config.json'))
    if not found: return None, f"no step0/config.json under {outputs/name}"
    codes = [json.loads(p.read_text())['environment']['code'] for p in (found[0], found[0].with_name('results.json'))]
    if codes[0] != codes[1]: return None, f"config.json and results.json record different code: {codes}"
    return codes[0], str(found[0])


def check_recorded(outputs: Path, name: str, clone: Path, commit: str) -> str | None:
    "None if the run `name` recorded the clone's code path and commit, else what is wrong."
    code, where = provenance(outputs, name)
    if code is None: return where
    if Path(code['path']).resolve() != (clone/'cilseg').resolve():
        return f"{where} records code path {code['path']}, not {clone/'cilseg'}"
    if code['commit'] != commit: return f"{where} records commit {code['commit']}, not {commit}"
    return None


def check_console_script(clone: Path, tmp: Path, env: dict, commit: str):
    cmd = [clone/'.venv/bin/cilseg-train', *TINY, '--data_root', tmp/'data', '--outputs', tmp/'outputs',
           '--name', 'console']
    rc, out = run(cmd, tmp/'work', env)
    report("clone 2's cilseg-train trains and records clone 2's code",
           failed(cmd, rc, out) if rc else check_recorded(tmp/'outputs', 'console', clone, commit))
    cmd = [clone/'.venv/bin/python', '-c', 'import cilseg; print(cilseg.__file__)']
    rc, out = run(cmd, tmp/'work', env)   # from outside the clone: the editable install, not the cwd, finds it
    where = out.strip().splitlines()[-1] if out.strip() else ''
    report("clone 2's python imports clone 2's cilseg", failed(cmd, rc, out) if rc else
           None if inside(where, clone) else f"`{' '.join(map(str, cmd))}` printed {where!r}, outside {clone}")


NOTEBOOK = {'cells': [{'cell_type': 'code', 'execution_count': None, 'metadata': {}, 'outputs': [],
                       'source': ['import sys, cilseg\n', "print('cilseg=' + cilseg.__file__)\n",
                                  "print('python=' + sys.executable)"]}],
            'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}},
            'nbformat': 4, 'nbformat_minor': 5}


def check_kernel(clone: Path, tmp: Path, env: dict):
    nb, done = tmp/'work'/'where.ipynb', tmp/'work'/'where-out.ipynb'
    nb.write_text(json.dumps(NOTEBOOK))
    cmd = [clone/'.venv/bin/papermill', '-k', 'python3', '--no-progress-bar', nb, done]
    rc, out = run(cmd, tmp/'work', env)
    problem = failed(cmd, rc, out) if rc else None
    if problem is None:
        text = ''.join(''.join(o.get('text', '')) for o in json.loads(done.read_text())['cells'][0]['outputs'])
        seen = dict(l.split('=', 1) for l in text.splitlines() if '=' in l)
        wrong = [f"{k} {seen.get(k)!r}" for k in ('cilseg', 'python') if not inside(seen.get(k) or '/', clone)]
        if wrong: problem = f"the kernel papermill started ran {', '.join(wrong)}: outside {clone}"
    report("clone 2's Jupyter kernel (papermill -k python3) runs clone 2's python and cilseg", problem)
    cmd = [clone/'.venv/bin/jupyter', 'kernelspec', 'list', '--json']
    rc, out = run(cmd, tmp/'work', env)
    problem = failed(cmd, rc, out) if rc else None
    if problem is None:
        spec = json.loads(out[out.index('{'):])['kernelspecs'].get('python3')
        exe = spec and spec['spec']['argv'][0]
        # a bare `python` is ipykernel's own spec: the interpreter of the jupyter that starts it (the clone's)
        if spec is None: problem = f"`{' '.join(map(str, cmd))}` lists no python3 kernel"
        elif exe not in ('python', 'python3') and not inside(exe, clone):
            problem = f"`{' '.join(map(str, cmd))}`: python3 runs {exe}, outside {clone}"
    if problem is None:   # cilseg's own check, as the papermill templates run it
        cmd = [clone/'.venv/bin/python', '-c', 'from cilseg.launch import ensure_kernel; print(ensure_kernel())']
        rc, out = run(cmd, tmp/'work', env)
        if rc: problem = failed(cmd, rc, out)
    report("clone 2's python3 kernelspec points into clone 2 (jupyter kernelspec list, ensure_kernel)", problem)


def check_torchrun(clone: Path, tmp: Path, env: dict, commit: str):
    cmd = [clone/'.venv/bin/torchrun', '--standalone', '--nproc_per_node=2', '-m', 'cilseg.train', *TINY,
           '--data_root', tmp/'data', '--outputs', tmp/'outputs', '--name', 'torchrun']
    rc, out = run(cmd, tmp/'work', env)
    report("clone 2's torchrun (2 processes, gloo) trains and records clone 2's code",
           failed(cmd, rc, out) if rc else check_recorded(tmp/'outputs', 'torchrun', clone, commit))


def checkout_state() -> dict:
    "The commit and dirty state of the checkout, as it is cloned."
    return {'commit': git('rev-parse', 'HEAD').strip(),
            'dirty': bool(git('status', '--porcelain', '--untracked-files=no').strip())}


def record_times(first: dict, second: dict, clone: Path, env: dict, env_root: Path, base_log: str, state: dict):
    "Write outputs/recorded/setup_times.json atomically: the README's set-up figures come from it."
    rc, py = run([clone/'.venv/bin/python', '-c', 'import platform; print(platform.python_version())'], clone, env)
    bases = [p for p in env_root.glob('base-*') if p.is_dir()]
    size = sum(f.lstat().st_size for b in bases for f in b.rglob('*') if f.is_file() or f.is_symlink())
    abn = [l for l in first['output'].splitlines() if 'inplace-abn' in l]
    rec = {'what': 'tools/check_clones.py --fresh-base: set-up of a first clone building the base environment '
                   'from nothing (pip cache off), then of a second clone on that base',
           'date_utc': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
           'first_setup_s': round(first['seconds'], 1), 'second_setup_s': round(second['seconds'], 1),
           'first_built_base': BUILDING in first['output'], 'second_built_base': BUILDING in second['output'],
           # pip's log lines: 'Downloading' (from the network, with sizes) and 'Processing /...whl' (a wheel from
           # local files: a find-links folder or file:// index in pip's configuration, so no network for it)
           'downloads': {'first': downloads(base_log + first['install_log']),
                         'second': downloads(second['output'] + second['install_log'])},
           'base_size_gb': round(size/1e9, 2), 'inplace_abn': abn[-1] if abn else None,
           'torch_variant': os.environ.get('CILSEG_TORCH', 'default'),
           'machine': {'cpu_count': os.cpu_count(), 'python': py.strip() if rc == 0 else None,
                       'platform': platform.platform(), 'arch': platform.machine()},
           'pip_sources': pip_sources(clone, env), 'checkout': state,
           'checks_failed': list(failures)}
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    part = RECORD.with_name(f'.{RECORD.name}.{os.getpid()}.part')
    part.write_text(json.dumps(rec, indent=1) + '\n')
    os.replace(part, RECORD)
    print(f"wrote {RECORD.relative_to(root)}")


def pip_sources(clone: Path, env: dict) -> dict:
    "Where pip looks for packages here (index, extra indexes, find-links), user and password parts of URLs removed."
    base = Path((clone/'.venv'/'cilseg-base.txt').read_text().strip())   # the clone's venv has no pip: the base's
    rc, out = run([base/'bin/python', '-m', 'pip', 'config', 'list'], clone, env)
    keys = ('index-url', 'extra-index-url', 'find-links')
    found = {}
    for line in out.splitlines() if rc == 0 else []:   # files' settings, then PIP_* ones (':env:.'), which win
        k, _, v = line.partition('=')
        if k.rsplit('.', 1)[-1] in keys:
            found[k.rsplit('.', 1)[-1]] = re.sub(r'//[^/@\s]*@', '//', v.strip().strip("'\""))
    return found


def make_writable(folder: Path):
    "The base environment is made read-only by setup.sh: give write permission back so it can be removed."
    for d, dirs, files in os.walk(folder):
        for n in [d, *(os.path.join(d, f) for f in dirs + files)]:
            if not os.path.islink(n): os.chmod(n, os.stat(n).st_mode | 0o200)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--fresh-base', action='store_true',
                    help='build the base from nothing in a temporary CILSEG_ENV_ROOT and record the set-up times in '
                         f'{RECORD.relative_to(root)} (minutes, ~5.5 GB)')
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix='cilseg-clones-')).resolve()
    env_root = tmp/'env-root' if args.fresh_base else None
    try:
        (tmp/'work').mkdir()   # commands run from here, outside both clones: no code is found through the cwd
        env = child_env(tmp, env_root)
        clones, state = [tmp/'clone1', tmp/'clone2'], checkout_state()
        for c in clones: clone_checkout(c)
        commit = git('rev-parse', 'HEAD', cwd=clones[1]).strip()
        setups = []
        for i, c in enumerate(clones, 1):
            secs, rc, out = set_up(c, env, timeout=3600 if args.fresh_base else 600)
            log = c/'.venv'/'install.log'
            setups.append(dict(seconds=secs, output=out, install_log=log.read_text() if log.is_file() else ''))
            if rc:
                report(f"clone {i}: bash tools/setup.sh", failed(['bash', 'tools/setup.sh'], rc, out))
                return
        if args.fresh_base:
            report("clone 1's set-up builds the base from nothing", None if BUILDING in setups[0]['output'] else
                   f"its output does not say '{BUILDING}'")
        secs, out = setups[1]['seconds'], setups[1]['output']
        report(f"clone 2's set-up reuses the base and takes under {SECOND_SETUP_LIMIT} s",
               f"its output says '{BUILDING}'" if BUILDING in out else
               f"it took {secs:.1f} s" if secs >= SECOND_SETUP_LIMIT else None)
        cmd = [clones[0]/'.venv/bin/python', '-c', 'import cilseg; print(cilseg.__file__)']
        rc, out = run(cmd, tmp/'work', env)
        where = out.strip().splitlines()[-1] if out.strip() else ''
        report("clone 1's python imports clone 1's cilseg", failed(cmd, rc, out) if rc else
               None if inside(where, clones[0]) else f"`{' '.join(map(str, cmd))}` printed {where!r}")
        shutil.rmtree(clones[0])   # everything below runs with the first clone gone
        check_console_script(clones[1], tmp, env, commit)
        check_kernel(clones[1], tmp, env)
        check_torchrun(clones[1], tmp, env, commit)
        print(f"set-up: clone 1 {setups[0]['seconds']:.1f} s"
              f"{' (base built from nothing)' if BUILDING in setups[0]['output'] else ''}, "
              f"clone 2 {setups[1]['seconds']:.1f} s")
        if args.fresh_base:
            base_logs = ''.join(p.read_text(errors='replace') for p in env_root.glob('base-*.log'))
            record_times(*setups, clones[1], env, env_root, base_logs, state)
    finally:
        if env_root is not None and env_root.exists(): make_writable(env_root)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(failures)} check(s) failed" if failures else "all checks passed")


if __name__ == '__main__':
    main()
    sys.exit(1 if failures else 0)
