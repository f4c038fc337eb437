#!/usr/bin/env bash
# The README's experiment figures: mnist-cdcgan's grid and conditional accuracy, the default
# preset's latent walks (interpolation and extrapolation). About 6 minutes on 2 cores.
#   bash benchmarks/experiments.sh [OUT]      (make experiments)
set -euo pipefail
OUT=${1:-$(mktemp -d)}
TG=${TG:-.venv/bin/tui-gan}
mkdir -p docs

"$TG" train --preset mnist-cdcgan --out "$OUT" --name cdcgan
"$TG" eval "$OUT/cdcgan" --json > "$OUT/cdcgan-eval.json"
cat "$OUT/cdcgan-eval.json"; echo
"$TG" grid "$OUT/cdcgan" --rows 6 --out docs/mnist-cdcgan-grid.png

"$TG" train --preset mnist-mlp --out "$OUT" --name mlp
"$TG" eval "$OUT/mlp" --json; echo
"$TG" interpolate "$OUT/mlp" --rows 6 --steps 10 --out docs/mnist-mlp-interpolate.png
"$TG" interpolate "$OUT/mlp" --rows 6 --steps 10 --range -1,2 --out docs/mnist-mlp-extrapolate.png
for what in "0,1 interpolation" "-1,2 extrapolation"; do
    set -- $what
    "$TG" interpolate "$OUT/mlp" --rows 3 --steps 8 --range "$1" --out "$OUT/walk.npz" > /dev/null
    echo "$2, t in [$1], 3 walks of 8 steps:"
    .venv/bin/python tools/text_strip.py "$OUT/walk.npz" --cols 8
done
echo "runs in $OUT"
