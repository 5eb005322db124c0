/** The valibot building blocks of stage and pipeline params. */
import * as v from "valibot";

/** An integer of at least `min`. */
export const Int = (min: number) => v.pipe(v.number(), v.integer(), v.minValue(min));

/** A finite number above 0. */
export const Positive = v.pipe(v.number(), v.gtValue(0), v.finite());
