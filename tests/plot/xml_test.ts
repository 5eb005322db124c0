import assert from "node:assert/strict";
import { checkWellFormed } from "./xml.ts";

Deno.test("checkWellFormed() accepts nested, self-closing and escaped markup", () => {
  checkWellFormed(`<svg a="1"><g><text x='2'>a &lt;&amp;&gt; b</text><rect/></g></svg>`);
});

Deno.test("checkWellFormed() rejects broken markup", () => {
  for (
    const bad of [
      "<svg><g></svg>",
      "<svg><text>a & b</text></svg>",
      `<svg a="1" a="2"/>`,
      `<svg a=1/>`,
      `<svg a="<"/>`,
      "<svg/><svg/>",
      "<svg>",
      "</svg>",
    ]
  ) {
    assert.throws(() => checkWellFormed(bad), Error, bad);
  }
});
