#!/usr/bin/env bash
# The README's EBM and VAE figures (issue 11), one run at a time (never two trainings at once
# on a small CPU): mnist-ebm with its samples at 256 Langevin steps and its anomaly table,
# the same table for a trained mnist-dcgan's D, then mnist-vae, mnist-vae-gan warm-started
# from it and mnist-dcgan from scratch at the same steps. About 25 minutes on 2 cores.
#   bash benchmarks/families.sh [OUT]      (make families)
set -euo pipefail
OUT=${1:-$(mktemp -d)}
TG=${TG:-.venv/bin/tui-gan}
PY=${PY:-.venv/bin/python}
mkdir -p docs

timed() { local t0=$SECONDS; "$@"; echo "[$(( SECONDS - t0 )) s] $*"; }

# The energy-based model, its samples and its anomaly table.
timed "$TG" train --preset mnist-ebm --out "$OUT" --name ebm --set log.keep_checkpoints=10
timed "$TG" sample "$OUT/ebm" --n 64 --mcmc-steps 256 --out docs/mnist-ebm-samples.png
for step in 0002000 0003000 0004000; do
    timed "$TG" eval "$OUT/ebm/ckpt-$step.pt" --n 1000 --json
done
timed "$TG" score "$OUT/ebm" --n 1000

# A GAN's discriminator as the same detector; mnist-dcgan is also the from-scratch baseline.
timed "$TG" train --preset mnist-dcgan --out "$OUT" --name dcgan
timed "$TG" score "$OUT/dcgan" --n 1000

# The VAE, then the GAN warm-started from its decoder (latest:mnist-vae finds it in OUT).
timed "$TG" train --preset mnist-vae --out "$OUT" --name vae
timed "$TG" sample "$OUT/vae" --n 64 --out docs/mnist-vae-samples.png
timed "$TG" train --preset mnist-vae-gan --out "$OUT" --name vae-gan
for run in vae vae-gan dcgan; do
    echo "$run: $("$TG" eval "$OUT/$run" --n 5000 --json)"
done
"$PY" benchmarks/warm_start.py "$OUT/vae-gan" "$OUT/dcgan"
echo "runs in $OUT"
