"""Benchmark: the batched Fourier-mask engine against the sources' one-image-at-a-time loop, on the
same frozen ResNet-20, measured in one run.

Targets (issue 7):
  (a) masks per second, batched (``ibbook.masks.train_masks``) / one by one
      (``ibbook.masks.train_masks_loop``): >= 4x on 2 CPU cores, >= 50x on a GPU;
  (b) batched mask-steps per second / the model's own forward + input-gradient images per second
      at the same batch size (the physical limit of this work): >= 0.7.
Equality: first-step gradients of the batched and the per-image objective agree to 1e-6. After
hundreds of Adam steps with clamping, rounding makes single masks drift apart, so the two
procedures are compared by their final loss, accuracy under the mask and mask density.

The network is a ResNet-20 at its random initialisation (batch-norm in eval mode) and the targets
are its own predictions on CIFAR-10 test images: the cost of a mask step does not depend on the
weights, and this keeps the benchmark free of a training run.
The numbers are also written to ``data/results/fourier_masks/bench_<device>.json`` (or under
``$IBBOOK_RESULTS``), which the chapter shows.
Run: .venv/bin/python bench/bench_masks.py [--device cuda] [--batch-size 64] [--steps 100]
"""
import argparse
import json
import platform
import sys
import time

import numpy as np
import torch

from ibbook import masks, models, records
from ibbook.cache import atomic_write_text
from ibbook.data import load_cifar10


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--steps", type=int, default=50, help="steps per mask in the throughput runs")
    ap.add_argument("--rounds", type=int, default=5, help="alternating measurement rounds")
    ap.add_argument("--n-loop", type=int, default=2, help="images per round for the one-by-one loop")
    ap.add_argument("--n-compare", type=int, default=8, help="images for the long equality run")
    ap.add_argument("--compare-steps", type=int, default=300)
    args = ap.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    net = models.build_model("resnet20").to(device).eval()
    data = load_cifar10("test", n=max(args.n_compare, args.batch_size), seed=0)
    x = data.x
    with torch.no_grad():
        y = torch.cat([net(x[i:i + 256].to(device)).argmax(1).cpu() for i in range(0, len(x), 256)])
    print(f"device: {device} ({torch.get_num_threads()} CPU threads); model: ResNet-20 "
          f"({models.count_parameters(net)} weights), CIFAR-10 test images, batch {args.batch_size}")

    # equality of the first step
    xs, ys = x[:args.batch_size], y[:args.batch_size]
    gb = masks.first_step_gradients(net, xs, ys, batched=True, device=device)
    gl = masks.first_step_gradients(net, xs, ys, batched=False, device=device)
    gap = float((gb - gl).abs().max())
    g32 = float((masks.first_step_gradients(net, xs, ys, batched=True, device=device, dtype=torch.float32)
                 - masks.first_step_gradients(net, xs, ys, batched=False, device=device, dtype=torch.float32))
                .abs().max())
    print(f"first-step gradients, batched vs one by one, float64: max |difference| {gap:.1e} "
          f"(largest entry {float(gl.abs().max()):.1e}); target <= 1e-6: {'met' if gap <= 1e-6 else 'NOT met'}")
    print(f"  (in float32 the batch size changes the convolution kernels: max |difference| {g32:.1e})")

    # Throughput: alternate short rounds of the three measurements and take the median of the
    # per-round ratios, so that load from other processes hits all three alike.
    fixed = dict(min_steps=args.steps, max_steps=args.steps, tol=0.0, device=device, progress=False)
    masks.train_masks(net, x[:4], y[:4], batch_size=4, **{**fixed, "min_steps": 3, "max_steps": 3})  # warm-up
    xb, yb = x[:args.batch_size], y[:args.batch_size]
    rows = []
    for _ in range(args.rounds):
        loop = masks.train_masks_loop(net, x[:args.n_loop], y[:args.n_loop], **fixed)
        batched = masks.train_masks(net, xb, yb, batch_size=args.batch_size, **fixed)
        limit = masks.input_gradient_throughput(net, xs, ys, device=device, seconds=1.0)
        rows.append((args.n_loop / loop.seconds, args.batch_size / batched.seconds,
                     batched.mask_steps / batched.seconds, limit))
    rows = np.array(rows)
    loop_rate, batched_rate, step_rate, limit = np.median(rows, axis=0)
    ratio_a = float(np.median(rows[:, 1] / rows[:, 0]))
    ratio_b = float(np.median(rows[:, 2] / rows[:, 3]))
    target_a = 50 if device.type == "cuda" else 4
    print(f"\n({args.steps} steps per mask; medians of {args.rounds} alternating rounds)")
    print(f"one by one: {loop_rate:8.2f} masks/s  ({loop_rate * args.steps:8.0f} mask-steps/s)")
    print(f"batched:    {batched_rate:8.2f} masks/s  ({step_rate:8.0f} mask-steps/s)")
    print(f"model forward + input gradient at batch {args.batch_size}: {limit:8.0f} images/s")
    print(f"(a) batched / one by one = {ratio_a:.1f}x  target >= {target_a}x: "
          f"{'met' if ratio_a >= target_a else 'NOT met'}")
    print(f"(b) batched mask-steps / model limit = {ratio_b:.2f}  target >= 0.7: "
          f"{'met' if ratio_b >= 0.7 else 'NOT met'}")

    # long runs: distributions, not single masks
    kw = dict(min_steps=args.compare_steps, max_steps=args.compare_steps, tol=0.0, device=device, progress=False)
    xc, yc = x[:args.n_compare], y[:args.n_compare]
    tic = time.perf_counter()
    lb = masks.train_masks(net, xc, yc, batch_size=args.batch_size, **kw)
    ll = masks.train_masks_loop(net, xc, yc, **kw)
    drift = float((lb.masks - ll.masks).abs().max())
    dens_b, dens_l = lb.masks.flatten(1).mean(1), ll.masks.flatten(1).mean(1)
    print(f"\nafter {args.compare_steps} steps on {args.n_compare} images "
          f"(took {time.perf_counter() - tic:.1f} s):")
    print(f"  largest entry difference between the two procedures: {drift:.1e}")
    print(f"  final loss, mean:   batched {lb.loss.mean():.4f}   one by one {ll.loss.mean():.4f}")
    print(f"  target kept:        batched {lb.correct.float().mean():.3f}   one by one {ll.correct.float().mean():.3f}")
    print(f"  mask density, mean: batched {dens_b.mean():.4f}   one by one {dens_l.mean():.4f}")
    rel = float(abs(lb.loss.mean() - ll.loss.mean()) / ll.loss.mean())
    same = rel < 0.05 and float((dens_b - dens_l).abs().max()) < 0.02
    print(f"  same distributions (mean loss within 5 %, every density within 0.02): {'yes' if same else 'NO'}")
    ok = gap <= 1e-6 and ratio_a >= target_a and ratio_b >= 0.7 and same
    results = {"first_step_gap_float32": g32, "rounds": args.rounds, "device": device.type, "threads": torch.get_num_threads(), "batch_size": args.batch_size,
               "steps": args.steps, "first_step_gap": gap, "loop_masks_per_s": loop_rate,
               "batched_masks_per_s": batched_rate, "batched_mask_steps_per_s": step_rate,
               "model_limit_images_per_s": limit, "ratio_a": ratio_a, "ratio_b": ratio_b, "target_a": target_a,
               "compare_steps": args.compare_steps, "compare_mask_max_diff": drift,
               "compare_loss_batched": float(lb.loss.mean()), "compare_loss_loop": float(ll.loss.mean()),
               "compare_density_batched": float(dens_b.mean()), "compare_density_loop": float(dens_l.mean()),
               "same_distributions": same}
    record = {"device_name": torch.cuda.get_device_name(device) if device.type == "cuda"
              else (platform.processor() or "cpu"), "git_commit": records.git_commit(),
              "torch": torch.__version__, "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              "command": " ".join(sys.argv)}
    path = records.results_dir() / "fourier_masks" / f"bench_{device.type}.json"
    atomic_write_text(json.dumps({"record": record, "results": results}, indent=2, sort_keys=True) + "\n", path)
    print(f"results written to {path}")
    print("\nall targets met" if ok else "\nsome target NOT met (see above; timings are provisional on a busy machine)")
    return 0 if ok else 1


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    sys.exit(main())
