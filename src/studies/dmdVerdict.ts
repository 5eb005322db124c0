/**
 * The verdict of the DMD study on the paper's ablation (Yin et al. 2024, Table 3: full DMD beats
 * both the regression-only and the matching-only generator) and on mode collapse of matching
 * alone at 1:1, stated with the numbers. Pure, so it is tested on hand-made results.
 */

export interface ArmResult {
  /** "regression", "matching", "dmd", "dmd2" (others are reported but not judged). */
  readonly name: string;
  readonly describe: string;
  readonly fdClf: number;
  readonly entropy: number;
  readonly entropyNormalised: number;
  readonly coverage: number;
  readonly generatorUpdates: number;
  readonly fakeUpdates: number;
}

export interface TeacherFd {
  readonly ddim50: number | null;
  readonly ddim4: number | null;
  readonly ddim1: number | null;
}

/** Normalised class entropy below this (or a class never predicted) counts as mode collapse. */
export const COLLAPSE_ENTROPY = 0.9;

const f = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? "—" : Number(x.toPrecision(3)).toString();

export const dmdVerdict = (arms: readonly ArmResult[], teacher: TeacherFd): string[] => {
  const out: string[] = [];
  const by = (name: string) => arms.find((a) => a.name === name);
  const dmd = by("dmd"), reg = by("regression"), match = by("matching"), dmd2 = by("dmd2");
  if (dmd && reg && match) {
    const beatsBoth = dmd.fdClf < reg.fdClf && dmd.fdClf < match.fdClf;
    out.push(
      `${beatsBoth ? "Reproduced" : "Not reproduced"}: full DMD ${
        beatsBoth ? "beats" : "does not beat"
      } both parts alone (one-step FD-clf: DMD ${f(dmd.fdClf)}, regression only ${
        f(reg.fdClf)
      }, matching only ${
        f(match.fdClf)
      }; the paper on CIFAR-10: 2.66, 3.82 without matching, 5.58 without regression).`,
    );
  } else {
    out.push(
      "The ablation order cannot be judged: an arm of regression / matching / dmd is missing.",
    );
  }
  if (match) {
    const collapsed = match.entropyNormalised < COLLAPSE_ENTROPY || match.coverage < 1;
    out.push(
      `${collapsed ? "Reproduced" : "Not reproduced"}: matching alone at 1:1 ${
        collapsed ? "collapses" : "does not collapse"
      } (class entropy ${f(match.entropyNormalised)} of the maximum, coverage ${
        f(match.coverage)
      }; collapse = below ${COLLAPSE_ENTROPY} or a class missing).`,
    );
  }
  if (dmd2 && dmd) {
    out.push(
      `DMD2-style matching at 5:1 without regression: FD-clf ${f(dmd2.fdClf)} vs DMD's ${
        f(dmd.fdClf)
      }${match ? ` and matching-only 1:1's ${f(match.fdClf)}` : ""} (class entropy ${
        f(dmd2.entropyNormalised)
      } of the maximum).`,
    );
  }
  if (teacher.ddim50 !== null) {
    const best = [...arms].sort((a, b) => a.fdClf - b.fdClf)[0];
    if (best) {
      out.push(
        `Best one-step arm (${best.name}) ${f(best.fdClf)} vs the teacher's DDIM-50 ${
          f(teacher.ddim50)
        }, DDIM-4 ${f(teacher.ddim4)} and DDIM-1 ${f(teacher.ddim1)}: distillation ${
          teacher.ddim1 !== null && best.fdClf < teacher.ddim1
            ? `improves on one teacher step by ${f(teacher.ddim1 - best.fdClf)}`
            : "does not improve on one teacher step"
        }${teacher.ddim4 !== null && best.fdClf < teacher.ddim4 ? " and beats four" : ""}.`,
      );
    }
  }
  return out;
};
