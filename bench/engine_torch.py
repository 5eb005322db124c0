"""PyTorch reference for bench/engine.ts: the same UNet as bench/unet.ts, trained the same way.

Run by bench/engine.ts with /usr/bin/python3 (Debian's python3-torch; install libopenblas0 too,
or plain matmuls use reference BLAS). Prints one JSON line: steps_per_s, params, micro (GFLOP/s
per kernel, same names and shapes as bench/engine_micro.ts).
Layout is NCHW (PyTorch's native one); the arithmetic is the same network.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from engine_torch_quickstart import CH as QS_CH, CLASSES as QS_CLASSES, SIZE as QS_SIZE, QuickstartUNet

WIDTHS, RES_BLOCKS, ATTN_SIZE, GROUPS, TEMB, SIZE, CH = (32, 64, 128), 2, 8, 8, 128, 32, 1


class ResBlock(nn.Module):
    def __init__(self, ci, co):
        super().__init__()
        self.n1, self.c1 = nn.GroupNorm(GROUPS, ci), nn.Conv2d(ci, co, 3, padding=1)
        self.t = nn.Linear(TEMB, co)
        self.n2, self.c2 = nn.GroupNorm(GROUPS, co), nn.Conv2d(co, co, 3, padding=1)
        self.skip = nn.Conv2d(ci, co, 1) if ci != co else None

    def forward(self, x, temb):
        h = self.c1(F.silu(self.n1(x)))
        h = h + self.t(F.silu(temb))[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return (self.skip(x) if self.skip is not None else x) + h


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.n = nn.GroupNorm(GROUPS, c)
        self.q, self.k, self.v, self.o = (nn.Linear(c, c) for _ in range(4))

    def forward(self, x):
        b, c, hh, ww = x.shape
        h = self.n(x).flatten(2).transpose(1, 2)  # [B, HW, C]
        att = torch.softmax(self.q(h) @ self.k(h).transpose(1, 2) / math.sqrt(c), dim=-1)
        out = self.o(att @ self.v(h))  # [B, HW, C]
        return x + out.transpose(1, 2).reshape(b, c, hh, ww)


class Block(nn.Module):
    def __init__(self, ci, co, attn):
        super().__init__()
        self.res, self.attn = ResBlock(ci, co), (Attention(co) if attn else None)

    def forward(self, x, temb):
        h = self.res(x, temb)
        return self.attn(h) if self.attn is not None else h


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        w0 = WIDTHS[0]
        self.t1, self.t2 = nn.Linear(w0, TEMB), nn.Linear(TEMB, TEMB)
        self.conv_in = nn.Conv2d(CH, w0, 3, padding=1)
        self.down, self.downsample, skips = nn.ModuleList(), nn.ModuleList(), []
        ch, size = w0, SIZE
        for level, w in enumerate(WIDTHS):
            blocks = nn.ModuleList()
            for _ in range(RES_BLOCKS):
                blocks.append(Block(ch, w, size == ATTN_SIZE))
                ch = w
                skips.append(ch)
            self.down.append(blocks)
            last = level == len(WIDTHS) - 1
            self.downsample.append(nn.Identity() if last else nn.Conv2d(ch, ch, 3, 2, 1))
            if not last:
                size //= 2
        self.mid = ResBlock(ch, ch)
        self.up, self.upsample = nn.ModuleList(), nn.ModuleList()
        for i, w in enumerate(reversed(WIDTHS)):
            blocks = nn.ModuleList()
            for _ in range(RES_BLOCKS):
                blocks.append(Block(ch + skips.pop(), w, size == ATTN_SIZE))
                ch = w
            self.up.append(blocks)
            last = i == len(WIDTHS) - 1
            self.upsample.append(nn.Identity() if last else nn.Conv2d(ch, ch, 3, padding=1))
            if not last:
                size *= 2
        self.out_norm, self.conv_out = nn.GroupNorm(GROUPS, ch), nn.Conv2d(ch, CH, 3, padding=1)

    def forward(self, x, t):
        half = WIDTHS[0] // 2
        freqs = torch.exp(torch.arange(half, dtype=torch.float32) * (-math.log(10000) / half))
        args = t[:, None] * freqs[None]
        temb = self.t2(F.silu(self.t1(torch.cat([torch.sin(args), torch.cos(args)], 1))))
        h, skips = self.conv_in(x), []
        for blocks, down in zip(self.down, self.downsample):
            for b in blocks:
                h = b(h, temb)
                skips.append(h)
            h = down(h)
        h = self.mid(h, temb)
        for i, (blocks, up) in enumerate(zip(self.up, self.upsample)):
            for b in blocks:
                h = b(torch.cat([h, skips.pop()], 1), temb)
            if i < len(WIDTHS) - 1:
                h = up(F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.conv_out(F.silu(self.out_norm(h)))


def train_speed(steps, warmup, batch):
    torch.manual_seed(1)
    net = UNet()
    opt = torch.optim.Adam(net.parameters(), lr=2e-4)
    x0 = F.interpolate(torch.rand(batch, 1, 8, 8) * 2 - 1, size=(32, 32), mode="bilinear")
    alpha_bar = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000), 0)
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        t = torch.randint(0, 1000, (batch,))
        noise = torch.randn_like(x0)
        ab = alpha_bar[t].view(-1, 1, 1, 1)
        xt = x0 * ab.sqrt() + noise * (1 - ab).sqrt()
        loss = F.mse_loss(net(xt, t.float()), noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss.item()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    times.sort()
    return 1 / times[len(times) // 2], sum(p.numel() for p in net.parameters())


def train_speed_quickstart(steps, warmup, batch):
    """The quickstart's model at its training shapes, with the same step as train_speed."""
    torch.manual_seed(1)
    net = QuickstartUNet()
    opt = torch.optim.Adam(net.parameters(), lr=2e-4)
    x0 = torch.rand(batch, QS_CH, QS_SIZE, QS_SIZE) * 2 - 1
    labels = torch.randint(0, QS_CLASSES + 1, (batch,))
    alpha_bar = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000), 0)
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        t = torch.randint(0, 1000, (batch,))
        noise = torch.randn_like(x0)
        ab = alpha_bar[t].view(-1, 1, 1, 1)
        xt = x0 * ab.sqrt() + noise * (1 - ab).sqrt()
        loss = F.mse_loss(net(xt, t.float(), labels), noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss.item()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    times.sort()
    return 1 / times[len(times) // 2], sum(p.numel() for p in net.parameters())


def train_speed_quickstart_stage(steps, warmup, batch):
    """The quickstart's model with the train-diffusion stage's step (src/train/diffusionStep.ts):
    cosine schedule, ε target with min-SNR-5 weights, label dropout 0.1, AdamW (lr 1e-3) after
    clipping the gradient norm to 1, and an EMA copy (decay 0.995) updated every step."""
    torch.manual_seed(1)
    net = QuickstartUNet()
    ema = [p.detach().clone() for p in net.parameters()]
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
    x0 = torch.rand(batch, QS_CH, QS_SIZE, QS_SIZE) * 2 - 1
    labels = torch.randint(0, QS_CLASSES, (batch,))
    s = 0.008
    f = torch.cos((torch.arange(1001, dtype=torch.float64) / 1000 + s) / (1 + s) * math.pi / 2) ** 2
    alpha_bar = (f[1:] / f[0]).clamp(min=1e-8).float()
    snr = alpha_bar / (1 - alpha_bar)
    weight = snr.clamp(max=5) / snr  # min-SNR-5 for the ε target
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        t = torch.randint(0, 1000, (batch,))
        noise = torch.randn_like(x0)
        y = torch.where(torch.rand(batch) < 0.1, torch.full_like(labels, QS_CLASSES), labels)
        ab = alpha_bar[t].view(-1, 1, 1, 1)
        xt = x0 * ab.sqrt() + noise * (1 - ab).sqrt()
        per_item = (net(xt, t.float(), y) - noise).square().mean(dim=(1, 2, 3))
        loss = (weight[t] * per_item).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            for e, p in zip(ema, net.parameters()):
                e.lerp_(p, 1 - 0.995)
        loss.item()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    times.sort()
    return 1 / times[len(times) // 2]


def sample_speed(make, shape, batch, steps, warmup, labels=False):
    """Forward passes per second under torch.no_grad() → images × steps per second."""
    torch.manual_seed(2)
    net = make()
    x = torch.randn(batch, *shape)
    t = torch.full((batch,), 500.0)
    extra = (torch.randint(0, QS_CLASSES, (batch,)),) if labels else ()
    times = []
    with torch.no_grad():
        for i in range(warmup + steps):
            t0 = time.perf_counter()
            net(x, t, *extra).sum().item()
            if i >= warmup:
                times.append(time.perf_counter() - t0)
    times.sort()
    return batch / times[len(times) // 2]


def median_time(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    return ts[len(ts) // 2]


def micro(batch, reps):
    """GFLOP/s for the kernels of bench/engine_micro.ts (names must match)."""
    b = batch
    r = torch.randn
    x16, w64, dy16 = r(b, 64, 16, 16), r(64, 64, 3, 3), r(b, 64, 16, 16)
    x32, w32 = r(b, 32, 32, 32), r(32, 32, 3, 3)
    n = 1024 if b >= 32 else 256
    a, c = r(n, n), r(n, n)
    q, k = r(b, 64, 128), r(b, 64, 128)
    gx, gg, gb = r(b, 32, 32, 32), torch.ones(32), torch.zeros(32)
    ax, ay = r(b, 32, 32, 32), r(b, 32, 1, 1)
    conv = 2 * b * 16 * 16 * 64 * 64 * 9
    cases = {
        "conv3x3 fwd 16x16 64→64": (conv, lambda: F.conv2d(x16, w64, padding=1)),
        "conv3x3 dx 16x16 64→64": (
            conv, lambda: torch.nn.grad.conv2d_input(x16.shape, w64, dy16, padding=1)),
        "conv3x3 dw 16x16 64→64": (
            conv, lambda: torch.nn.grad.conv2d_weight(x16, w64.shape, dy16, padding=1)),
        "conv3x3 fwd 32x32 32→32": (
            2 * b * 32 * 32 * 32 * 32 * 9, lambda: F.conv2d(x32, w32, padding=1)),
        "matmul 1024³ (cpu: 256³)": (2 * n ** 3, lambda: a @ c),
        "attention bmm [b,64,128]x[b,128,64]": (2 * b * 64 * 64 * 128, lambda: q @ k.transpose(1, 2)),
        "groupNorm+SiLU 32x32x32": (
            10 * b * 32 * 32 * 32, lambda: F.silu(F.group_norm(gx, 8, gg, gb))),
        "add broadcast [b,32,32,32]+[b,1,1,32]": (b * 32 * 32 * 32, lambda: ax + ay),
    }
    with torch.no_grad():
        return {name: f / median_time(fn, reps) / 1e9 for name, (f, fn) in cases.items()}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--micro", type=int, default=1)
    p.add_argument("--micro-reps", type=int, default=3)
    p.add_argument("--train", type=int, default=1)
    p.add_argument("--sample-batches", default="")
    p.add_argument("--quickstart", type=int, default=0)
    p.add_argument("--qs-train-batch", type=int, default=32)
    p.add_argument("--qs-sample-batch", type=int, default=128)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    if a.train:
        out["steps_per_s"], out["params"] = train_speed(a.steps, a.warmup, a.batch)
    out["sample_images_per_s"] = {
        b: sample_speed(UNet, (CH, SIZE, SIZE), int(b), a.steps, a.warmup)
        for b in a.sample_batches.split(",") if b
    }
    if a.quickstart:
        sps, params = train_speed_quickstart(a.steps, a.warmup, a.qs_train_batch)
        out["quickstart"] = {
            "steps_per_s": sps, "params": params,
            "stage_steps_per_s": train_speed_quickstart_stage(a.steps, a.warmup, a.qs_train_batch),
            "sample_images_per_s": sample_speed(
                QuickstartUNet, (QS_CH, QS_SIZE, QS_SIZE), a.qs_sample_batch, a.steps, a.warmup,
                labels=True),
        }
    if a.micro:
        out["micro"] = micro(a.batch, a.micro_reps)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
