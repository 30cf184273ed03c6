"""Measure the demo's training speed per process layout and body width, side by side in one run.

The demo's step 0 (nbs/experiments/configs/demo.yaml: synth 15-5 overlapped, ResNet-18 from scratch, fcn head, 64-px
crops, output stride 8, a global batch of 16) trained for `--epochs` epochs through torchrun, as the demo runs it,
for each layout (2 processes of 1 thread with 8 images each and a loader process each, as the demo ran before; 1
process of 2 threads with 16 and a loader process; the same with loading in the training process) and each body
width (1, the standard ResNet-18; 0.375, the demo's). Training images per second and the step's test mIoU of each
run are written to outputs/recorded/demo_layout.json with the commands, the machine and the commit; the demo's
configuration comment takes its choice from there. The same seed in the layouts also shows what changes with the
process and thread counts: the sums are reduced in another order, and the test mIoUs differ. Run it on an otherwise
idle machine: the figures are wall-clock speeds.
"""
import argparse, datetime, json, os, platform, subprocess, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
RECORD = root/'outputs'/'recorded'/'demo_layout.json'
from cilseg.launch import train_command, train_env
from cilseg.runs import config_path, resolve_params, run_dir_of

LAYOUTS = [dict(nproc=2, threads=1, batch_size=8, num_workers=1), dict(nproc=1, threads=2, batch_size=16, num_workers=1),
           dict(nproc=1, threads=2, batch_size=16, num_workers=0)]   # the earlier demo's, then the two changes in turn


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--epochs', type=int, default=1, help='epochs of step 0 per measurement (the demo: 5)')
    p.add_argument('--widths', type=float, nargs='+', default=[1.0, 0.375], help='body widths to measure (the standard, the demo)')
    p.add_argument('--name', default='layout-measure', help='experiment name under outputs/')
    a = p.parse_args()
    rows = []
    for width in a.widths:
        for layout in LAYOUTS:
            tag = f"w{width:g}-{layout['nproc']}x{layout['threads']}-workers{layout['num_workers']}"
            cfg = resolve_params(config_path('demo'), method='FT', steps='0', epochs=a.epochs, body_width=width,
                                 val_interval=a.epochs, name=f'{a.name}-{tag}', outputs=str(root/'outputs'), **layout)
            run, cmd = run_dir_of(cfg), train_command(cfg)
            run.mkdir(parents=True, exist_ok=True)
            with open(run/'measure.log', 'w') as log:
                r = subprocess.run(cmd, cwd=root, env={**os.environ, **{k: str(v) for k, v in train_env(cfg).items()}},
                                   stdout=log, stderr=subprocess.STDOUT)
            if r.returncode: sys.exit(f"measure_layout: {' '.join(cmd)} failed; see {run/'measure.log'}")
            result = json.loads((run/'step0'/'results.json').read_text())
            epochs = result['extra']['train']
            images, seconds = sum(e['images'] for e in epochs), sum(e['seconds'] for e in epochs)
            rows.append({'body_width': width, **layout, 'images': images, 'train_seconds': round(seconds, 2),
                         'images_per_s': round(images / seconds, 2),
                         'test_miou_bg_excluded': round(100 * result['summaries']['bg_excluded']['all'], 2),
                         'run': str(run.relative_to(root)),
                         'command': cmd[cmd.index('cilseg.train') + 1:]})
            print(json.dumps({k: v for k, v in rows[-1].items() if k != 'command'}), flush=True)
    commit = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=root, capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'], cwd=root,
                                capture_output=True, text=True).stdout.strip())
    rec = {'what': "tools/measure_layout.py: training images per second of the demo's step 0 per process layout "
                   "and body width, through torchrun, side by side in one run",
           'date_utc': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
           'epochs': a.epochs, 'runs': rows, 'checkout': {'commit': commit, 'dirty': dirty},
           'machine': {'cpu_count': os.cpu_count(), 'platform': platform.platform()}}
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    tmp = RECORD.with_suffix('.tmp')
    tmp.write_text(json.dumps(rec, indent=1) + '\n'); tmp.replace(RECORD)
    print(f"written {RECORD}")


if __name__ == '__main__':
    main()
