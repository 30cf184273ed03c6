"""Make this clone's own environment `.venv`, layered on a shared, read-only base environment.

Run with the base environment's interpreter by tools/setup.sh: `base/bin/python tools/clone_env.py BASE CLONE_VENV`.

The heavy, pinned packages (torch, the built inplace-abn, Jupyter, ...) stay in the base, built once per machine and
per change of pins. The clone's `.venv` is a small virtual environment of its own (a few hundred KB) that
- sees the base's packages through one `.pth` file (`site.addsitedir`, so the base's own `.pth` files work too);
- has its own `bin/` scripts for every console script of the base (jupyter, papermill, torchrun, nbdev_*, pip...),
  each running `.venv/bin/python`, so whatever a clone starts (a kernel, torchrun workers) runs this clone's code;
- has its own `share/jupyter` and `etc/jupyter`: links to the base's data and configuration (JupyterLab's assets,
  widget extensions, nbconvert templates), but its own `kernels/` folder, so a kernelspec never leaks between clones.
cilseg itself is then installed editable into `.venv` by setup.sh (its own `cilseg-train`, its own `cilseg.__file__`).
"""
import importlib.metadata as md
import os, sys, sysconfig, venv
from pathlib import Path

MARKER = 'cilseg-base.txt'   # in the clone's venv: the base it is layered on


def site_packages(prefix: Path) -> Path:
    return Path(sysconfig.get_path('purelib', vars={'base': str(prefix), 'platbase': str(prefix)}))


def console_script(python: Path, ep) -> str:
    "The text pip writes for a console script, with this clone's interpreter."
    obj = ep.attr.split('.')[0]
    return (f"#!{python}\n# -*- coding: utf-8 -*-\n# made by cilseg's tools/clone_env.py for the entry point {ep.value}\n"
            f"import sys\nfrom {ep.module} import {obj}\nif __name__ == '__main__':\n"
            f"    sys.argv[0] = sys.argv[0].removesuffix('.exe')\n    sys.exit({ep.attr}())\n")


def main(base: str, clone: str):
    base, clone = Path(base).resolve(), Path(clone).absolute()
    venv.EnvBuilder(with_pip=False, symlinks=True, clear=True).create(clone)
    python = clone/'bin'/'python'
    (site_packages(clone)/'_cilseg_base.pth').write_text(
        f"import site; site.addsitedir({str(site_packages(base))!r})\n")
    made = 0
    for dist in md.distributions(path=[str(site_packages(base))]):
        for ep in dist.entry_points.select(group='console_scripts'):
            script = clone/'bin'/ep.name
            if script.exists(): continue   # python, python3, activate... belong to the venv itself
            script.write_text(console_script(python, ep)); script.chmod(0o755); made += 1
    for sub in ('share/jupyter', 'etc/jupyter'):
        src = base/sub
        if not src.is_dir(): continue
        (clone/sub).mkdir(parents=True, exist_ok=True)
        for child in src.iterdir():
            if child.name != 'kernels': (clone/sub/child.name).symlink_to(child)
    (clone/'share'/'jupyter'/'kernels').mkdir(parents=True, exist_ok=True)
    (clone/MARKER).write_text(f"{base}\n")
    print(f"setup: {clone} layered on {base} ({made} console scripts)")


if __name__ == '__main__':
    main(*sys.argv[1:])
