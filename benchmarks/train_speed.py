"""Training throughput, side by side in one run: the project's loop against a bare loop of
the same networks on tensors already in memory (the floor) and a loop in the style of the
PyTorch examples' DCGAN script (DataLoader, per-sample transforms, .item() every step).

Each measurement runs in a fresh process (glibc's malloc settings are per process), the
contenders alternate round by round, and the medians are compared:

    python benchmarks/train_speed.py                       # CPU: mnist-mlp and mnist-dcgan
    python benchmarks/train_speed.py --device cuda --table # GPU: + batch x precision x compile

The project is measured with the preset's R1 penalty and EMA off, so all three loops do the
same work per step (one D and one G update with the BCE loss); --preset-work keeps them on.
On CUDA the project's steps also run under torch.cuda.set_sync_debug_mode("warn"): any host
sync inside the measured window is counted, and the benchmark fails if there is one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BARE = ("loss.r1_gamma=0", "model.ema_decay=0")  # the floor's work: no penalty, no average


# --- the three loops ------------------------------------------------------------------------


def _nets(preset_name: str, device, overrides=()):
    import torch

    from tui_gan.engine.models import build_models
    from tui_gan.presets import load_preset

    preset = load_preset(preset_name, tuple(overrides))
    torch.manual_seed(0)
    G, D = (m.to(device) for m in build_models(preset, 1))
    o = preset.optim
    opt_g = torch.optim.Adam(G.parameters(), lr=o.g.lr, betas=o.g.betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=o.d.lr, betas=o.d.betas)
    return preset, G, D, opt_g, opt_d


def floor(preset_name: str, device: str, batch: int, warm: int, steps: int) -> float:
    """The same networks and update, nothing else: a preloaded, pre-shuffled device tensor."""
    import torch
    import torch.nn.functional as F

    from tui_gan.engine.data import load_embedded_mnist

    dev = torch.device(device)
    preset, G, D, opt_g, opt_d = _nets(preset_name, dev)
    data = load_embedded_mnist(True).data.unsqueeze(1).float().div(127.5).sub(1).to(dev)
    perm = torch.randperm(len(data), device=dev)
    ones, zeros = torch.ones(batch, device=dev), torch.zeros(batch, device=dev)
    latent, per_epoch = preset.model.latent_dim, len(data) // batch

    def step(i: int) -> None:
        j = i % per_epoch
        real = data[perm[j * batch : (j + 1) * batch]]
        fake = G(torch.randn(batch, latent, device=dev))
        loss_d = F.binary_cross_entropy_with_logits(
            D(real), ones
        ) + F.binary_cross_entropy_with_logits(D(fake.detach()), zeros)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        loss_g = F.binary_cross_entropy_with_logits(D(fake), ones)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()

    return _timed(step, dev, batch, warm, steps)


def examples(preset_name: str, device: str, batch: int, warm: int, steps: int) -> float:
    """pytorch/examples dcgan/main.py's loop: a DataLoader with per-sample ToTensor and
    Normalize, labels filled each step, losses and D outputs read with .item() each step."""
    import torch
    import torch.nn as nn
    from torchvision import transforms

    from tui_gan.engine.data import load_embedded_mnist

    dev = torch.device(device)
    preset, netG, netD, optG, optD = _nets(preset_name, dev)
    ds = load_embedded_mnist(True)
    ds.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    loader = torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True, drop_last=True)
    criterion = nn.BCEWithLogitsLoss()  # our D ends in a logit; examples' in a sigmoid
    latent = preset.model.latent_dim
    it = iter(loader)

    def step(_: int) -> None:
        nonlocal it
        try:
            real, _y = next(it)
        except StopIteration:
            it = iter(loader)
            real, _y = next(it)
        real = real.to(dev)
        netD.zero_grad()
        label = torch.full((batch,), 1.0, device=dev)
        output = netD(real)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        noise = torch.randn(batch, latent, device=dev)
        fake = netG(noise)
        label.fill_(0.0)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optD.step()
        netG.zero_grad()
        label.fill_(1.0)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optG.step()
        _ = (errD.item(), errG.item(), D_x, D_G_z1, D_G_z2)  # what its print line reads

    return _timed(step, dev, batch, warm, steps)


def _timed(step, dev, batch: int, warm: int, steps: int) -> float:
    import torch

    for i in range(warm):
        step(i)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for i in range(warm, warm + steps):
        step(i)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - t0)


def project(preset_name: str, device: str, batch: int, warm: int, steps: int, overrides=()) -> dict:
    """The engine's own loop (records written as `tui-gan train` writes them), img/s from its
    step records after the warm-up; on CUDA, host syncs counted in the steps between two."""
    import torch

    from tui_gan.engine import events as ev
    from tui_gan.engine.context import RunSpec
    from tui_gan.engine.recorder import run
    from tui_gan.engine.runtime import start_run_process
    from tui_gan.presets import load_preset

    window = max(1, steps // 4)
    preset = load_preset(
        preset_name,
        (
            f"train.steps={warm + steps}",
            f"train.batch_size={batch}",
            f"log.log_every={window}",
            "log.sample_every=0",
            "log.checkpoint_every=0",
            "log.eval_every=0",
            f'train.device="{device}"',
            *overrides,
        ),
    )
    syncs = 0
    with tempfile.TemporaryDirectory() as tmp:
        spec = RunSpec(preset, Path(tmp) / "run", classifier_dir=Path(tmp) / "classifiers")
        spec = start_run_process(spec)  # the malloc and GPU settings, as `tui-gan train` makes
        rates: list[float] = []
        cuda = device == "cuda"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            counting = False
            for e in run(spec):
                if isinstance(e, ev.StepMetrics):
                    if counting:  # a window's steps, and the record's one read-back
                        torch.cuda.set_sync_debug_mode(0)
                        syncs += max(0, sum("synchroniz" in str(w.message) for w in caught) - 1)
                    if e.step - window >= warm:  # a window wholly past the warm-up
                        rates.append(e.img_per_s)
                    counting = cuda and e.step >= warm
                    if counting:
                        caught.clear()
                        torch.cuda.set_sync_debug_mode("warn")
                elif isinstance(e, ev.Failed):
                    raise SystemExit(f"{preset_name}: {e.error}")
            if cuda:
                torch.cuda.set_sync_debug_mode(0)
    return {"img_s": statistics.median(rates) if rates else float("nan"), "syncs": syncs}


# --- one measurement per process ------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    import torch

    if args.malloc == "tuned":
        from tui_gan.engine.malloc import keep_freed_memory

        keep_freed_memory()
    kw = dict(batch=args.batch, warm=args.warm, steps=args.steps)
    if args.one == "floor":
        out = {"img_s": floor(args.preset, args.device, **kw)}
    elif args.one == "examples":
        out = {"img_s": examples(args.preset, args.device, **kw)}
    else:
        overrides = [*args.set] + ([] if args.preset_work else list(BARE))
        out = project(args.preset, args.device, overrides=overrides, **kw)
    out["threads"] = torch.get_num_threads()
    print("RESULT " + json.dumps(out))


def measure(one: str, preset: str, a: argparse.Namespace, malloc: str, extra=()) -> dict:
    cmd = [
        sys.executable, __file__, "--one", one, "--preset", preset, "--device", a.device,
        "--batch", str(a.batch), "--warm", str(a.warm), "--steps", str(a.steps),
        "--malloc", malloc, *(["--preset-work"] if a.preset_work else []),
        *(x for s in extra for x in ("--set", s)),
    ]  # fmt: skip
    # The project makes its malloc settings at its process start (runtime.start_run_process);
    # TUI_GAN_MALLOC=default turns them off.
    env = {**os.environ, "TUI_GAN_MALLOC": "tuned" if malloc == "tuned" else "default"}
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"{one} {preset} failed:\n{done.stderr[-2000:]}")


CONTENDERS = (  # (name, loop, glibc malloc)
    ("project", "project", "tuned"),
    ("project, glibc defaults", "project", "default"),
    ("floor", "floor", "default"),
    ("floor, tuned malloc", "floor", "tuned"),
    ("examples-style", "examples", "default"),
)


def compare(a: argparse.Namespace) -> None:
    import torch

    print(f"torch {torch.__version__}, device {a.device}, batch {a.batch}, {a.steps} steps "
          f"after {a.warm} warm-up, {a.rounds} rounds alternating")  # fmt: skip
    for preset in a.presets:
        rates: dict[str, list[float]] = {name: [] for name, *_ in CONTENDERS}
        syncs = 0
        for r in range(a.rounds):
            order = CONTENDERS[r % len(CONTENDERS) :] + CONTENDERS[: r % len(CONTENDERS)]
            for name, loop, malloc in order:
                res = measure(loop, preset, a, malloc)
                rates[name].append(res["img_s"])
                syncs += res.get("syncs", 0)
        med = {k: statistics.median(v) for k, v in rates.items()}
        print(f"\n{preset} (median img/s of {a.rounds}; every round in brackets)")
        for name, *_ in CONTENDERS:
            runs = ", ".join(f"{x:,.0f}" for x in rates[name])
            print(f"  {name:<26} {med[name]:>9,.0f}   [{runs}]")
        p, base = med["project"], med["project, glibc defaults"]
        ratios = (
            ("project / floor, both with tuned malloc", p / med["floor, tuned malloc"]),
            ("project / floor, both with glibc defaults", base / med["floor"]),
            ("project / examples-style", p / med["examples-style"]),
            ("tuned malloc: project", p / base),
            ("tuned malloc: floor", med["floor, tuned malloc"] / med["floor"]),
        )
        for what, x in ratios:
            print(f"  {what:<44} {x:.2f}x")
        if a.device == "cuda":
            print(f"  host syncs inside measured step windows: {syncs}")
            if syncs:
                raise SystemExit("FAIL: the training step synchronised with the host")


def table(a: argparse.Namespace) -> None:
    """GPU: the project's img/s for batch x precision x compile (mnist-dcgan)."""
    print("\nmnist-dcgan, the project's loop (img/s)")
    print(f"{'batch':>6} {'precision':>9} {'compile':>16} {'img/s':>10}")
    for batch in (64, 256, 1024):
        for precision in ("fp32", "bf16", "fp16"):
            for comp in ("off", "default", "reduce-overhead"):
                b = argparse.Namespace(**{**vars(a), "batch": batch})
                extra = (f'train.precision="{precision}"', f'train.compile="{comp}"',
                         "train.channels_last=true")  # fmt: skip
                res = measure("project", "mnist-dcgan", b, "tuned", extra)
                print(f"{batch:>6} {precision:>9} {comp:>16} {res['img_s']:>10,.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["mnist-mlp", "mnist-dcgan"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--table", action="store_true", help="GPU: batch x precision x compile")
    parser.add_argument("--preset-work", action="store_true", help="keep the preset's R1/EMA")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--preset", help=argparse.SUPPRESS)
    parser.add_argument("--malloc", default="default", help=argparse.SUPPRESS)
    parser.add_argument("--set", action="append", default=[], help=argparse.SUPPRESS)
    a = parser.parse_args()
    if a.one:
        child(a)
        return
    compare(a)
    if a.table:
        table(a)


if __name__ == "__main__":
    main()
