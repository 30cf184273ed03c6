"""Measure the two random inits of the body (`--body_init torch`, the original's, and `kaiming`) on a reduced demo.

The demo's configuration (nbs/experiments/configs/demo.yaml: the standard synth dataset, synth 15-5 overlapped,
ResNet-18 from scratch with the fcn head, AdamW at lr 0.001, 64-pixel crops, output stride 8, a global batch of 16)
with MiB only, a smaller synth copy (`--synth_images`), fewer epochs per step (`--epochs`, `--epochs_next`) and one
process of one thread, for each init and seed (on the 2 shared cores of the development machine, the demo's own
dataset and epochs would take about an hour per run). Each run goes through `python -m cilseg.train` into outputs/<name>/ (gitignored); the step-0 and last-step
test mIoUs are recorded in outputs/recorded/demo_init.json, where the demo config's comment takes its figures from.
"""
import argparse, datetime, json, os, platform, subprocess, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
RECORD = root/'outputs'/'recorded'/'demo_init.json'
from cilseg.runs import config_path, resolve_params, run_dir_of


def demo_config(a, seed: int, init: str):
    "The demo's configuration (configs/demo.yaml) with MiB, made smaller by `a`, for one seed and init."
    return resolve_params(config_path('demo'), method='MiB', synth_images=a.synth_images, epochs=a.epochs,
                          epochs_next=a.epochs_next, batch_size=a.batch_size, nproc=1, threads=1, num_workers=0,
                          seed=seed, body_init=init, name=f'{a.name}-{init}', outputs=str(root/'outputs'))


def summary(record: dict) -> dict:
    "A step record's test mIoUs in percent: all classes with background, and old/new/all without it (MiB's)."
    pct = lambda v: None if v is None else round(100 * v, 2)
    s = record['summaries']['bg_excluded']
    return {'miou_with_bg': pct(record['metrics']['mean_iou']),
            'bg_excluded': {k: pct(s[k]) for k in ('old', 'new', 'all')}}



def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--synth_images', type=int, nargs=2, default=[600, 150], help='train, val images (the demo: 2000 500)')
    p.add_argument('--epochs', type=int, default=3, help='epochs of step 0 (the demo: 5)')
    p.add_argument('--epochs_next', type=int, default=2, help='epochs of step 1 (the demo: 4)')
    p.add_argument('--batch_size', type=int, default=16, help='one process: the demo\'s global batch (2 x 8)')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    p.add_argument('--name', default='init-measure', help='experiment name under outputs/')
    a = p.parse_args()
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    rows = []
    for seed in a.seeds:
        for init in ('torch', 'kaiming'):
            cfg = demo_config(a, seed, init)
            argv, run = cfg.to_argv(), run_dir_of(cfg)
            run.mkdir(parents=True, exist_ok=True)
            with open(run/'measure.log', 'w') as log:
                r = subprocess.run([sys.executable, '-m', 'cilseg.train', *argv], cwd=root, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
            if r.returncode: sys.exit(f"measure_init: cilseg-train {' '.join(argv)} failed; see {run/'measure.log'}")
            recs = [json.loads((run/f'step{t}'/'results.json').read_text()) for t in (0, 1)]
            train_s = sum(e['seconds'] for r in recs for e in r['extra']['train'])
            rows.append({'body_init': init, 'seed': seed, 'train_minutes': round(train_s / 60, 1),
                         'step0': summary(recs[0]), 'final': summary(recs[1]), 'run': str(run.relative_to(root)),
                         'command': ['cilseg-train', *argv]})
            print(json.dumps(rows[-1]), flush=True)
    mean = lambda init, step, f: round(sum(f(r[step]) for r in rows if r['body_init'] == init) / len(a.seeds), 2)
    means = {init: {'step0_miou_with_bg': mean(init, 'step0', lambda s: s['miou_with_bg']),
                    'final_miou_with_bg': mean(init, 'final', lambda s: s['miou_with_bg']),
                    'final_all_bg_excluded': mean(init, 'final', lambda s: s['bg_excluded']['all']),
                    'final_new_bg_excluded': mean(init, 'final', lambda s: s['bg_excluded']['new'])}
             for init in ('torch', 'kaiming')}
    commit = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=root, capture_output=True, text=True).stdout.strip()
    rec = {'what': 'tools/measure_init.py: MiB on synth 15-5 overlapped with the demo\'s model and optimiser, '
                   'fewer epochs, one process of one thread, per body init and seed; test mIoU % of step 0 and '
                   'of the last step (step 1)',
           'date_utc': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
           'seeds': a.seeds, 'runs': rows, 'mean_over_seeds': means,
           'checkout': {'commit': commit, 'dirty': bool(subprocess.run(
               ['git', 'status', '--porcelain', '--untracked-files=no'], cwd=root, capture_output=True,
               text=True).stdout.strip())},
           'machine': {'cpu_count': os.cpu_count(), 'platform': platform.platform()}}
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    tmp = RECORD.with_suffix('.tmp')
    tmp.write_text(json.dumps(rec, indent=1) + '\n'); tmp.replace(RECORD)
    print(json.dumps(means, indent=1))


if __name__ == '__main__': main()
