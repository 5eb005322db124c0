"""PyTorch twin of the quickstart's model (src/models/unet.ts with the quickstart pipeline's
config: widths [32, 64], one residual block per level, attention only in the middle, 3 channels,
16×16, 6 classes + the null class), used by engine_torch.py for bench/engine.ts's quickstart rows.
Layout is NCHW; the arithmetic is the same network (ADM layout: every unit output and every
downsample output is a skip; the up path has one more unit per level than the down path).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

WIDTHS, RES_BLOCKS, GROUPS, HEAD_DIM, TEMB, SIZE, CH, CLASSES = (32, 64), 1, 8, 32, 128, 16, 3, 6


class ResBlock(nn.Module):
    def __init__(self, ci, co):
        super().__init__()
        self.n1, self.c1 = nn.GroupNorm(GROUPS, ci), nn.Conv2d(ci, co, 3, padding=1)
        self.emb = nn.Linear(TEMB, co)
        self.n2, self.c2 = nn.GroupNorm(GROUPS, co), nn.Conv2d(co, co, 3, padding=1)
        self.skip = nn.Conv2d(ci, co, 1) if ci != co else None

    def forward(self, x, emb_act):
        h = self.c1(F.silu(self.n1(x)))
        h = h + self.emb(emb_act)[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return (self.skip(x) if self.skip is not None else x) + h


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c // HEAD_DIM
        self.n = nn.GroupNorm(GROUPS, c)
        # as src/models/layers.ts declareAttention: q, k, v without bias, o with
        self.q, self.k, self.v = (nn.Linear(c, c, bias=False) for _ in range(3))
        self.o = nn.Linear(c, c)

    def forward(self, x):
        b, c, hh, ww = x.shape
        t = self.n(x).flatten(2).transpose(1, 2)  # [B, HW, C]
        split = lambda y: y.view(b, -1, self.heads, HEAD_DIM).transpose(1, 2)  # [B, h, HW, d]
        q, k, v = split(self.q(t)), split(self.k(t)), split(self.v(t))
        att = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(HEAD_DIM), dim=-1)
        out = (att @ v).transpose(1, 2).reshape(b, -1, c)
        return x + self.o(out).transpose(1, 2).reshape(b, c, hh, ww)


class QuickstartUNet(nn.Module):
    def __init__(self):
        super().__init__()
        w0, L = WIDTHS[0], len(WIDTHS)
        self.t1, self.t2 = nn.Linear(w0, TEMB), nn.Linear(TEMB, TEMB)
        self.class_emb = nn.Embedding(CLASSES + 1, TEMB)
        self.conv_in = nn.Conv2d(CH, w0, 3, padding=1)
        skips, ch = [w0], w0
        self.down, self.downsample = nn.ModuleList(), nn.ModuleList()
        for level, w in enumerate(WIDTHS):
            units = nn.ModuleList()
            for _ in range(RES_BLOCKS):
                units.append(ResBlock(ch, w))
                ch = w
                skips.append(ch)
            self.down.append(units)
            if level < L - 1:
                self.downsample.append(nn.Conv2d(ch, ch, 3, 2, 1))
                skips.append(ch)
        self.mid0, self.mid_attn, self.mid1 = ResBlock(ch, ch), Attention(ch), ResBlock(ch, ch)
        self.up, self.upsample = nn.ModuleList(), nn.ModuleList()
        for i in range(L):
            level = L - 1 - i
            units = nn.ModuleList()
            for _ in range(RES_BLOCKS + 1):
                units.append(ResBlock(ch + skips.pop(), WIDTHS[level]))
                ch = WIDTHS[level]
            self.up.append(units)
            if level > 0:
                self.upsample.append(nn.Conv2d(ch, ch, 3, padding=1))
        self.out_norm, self.conv_out = nn.GroupNorm(GROUPS, w0), nn.Conv2d(w0, CH, 3, padding=1)

    def forward(self, x, t, labels):
        half = WIDTHS[0] // 2
        freqs = torch.exp(torch.arange(half, dtype=torch.float32) * (-math.log(10000) / half))
        args = t[:, None] * freqs[None]
        emb = self.t2(F.silu(self.t1(torch.cat([torch.cos(args), torch.sin(args)], 1))))
        emb_act = F.silu(emb + self.class_emb(labels))
        h = self.conv_in(x)
        skips = [h]
        for level, units in enumerate(self.down):
            for u in units:
                h = u(h, emb_act)
                skips.append(h)
            if level < len(self.downsample):
                h = self.downsample[level](h)
                skips.append(h)
        h = self.mid1(self.mid_attn(self.mid0(h, emb_act)), emb_act)
        for i, units in enumerate(self.up):
            for u in units:
                h = u(torch.cat([h, skips.pop()], 1), emb_act)
            if i < len(self.upsample):
                h = self.upsample[i](F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.conv_out(F.silu(self.out_norm(h)))
