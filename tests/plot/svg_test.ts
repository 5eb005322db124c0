import assert from "node:assert/strict";
import { el, escapeXml, fitText, hashId, num, textWidth, wrapText } from "../../src/plot/svg.ts";

Deno.test("escapeXml() escapes markup characters", () => {
  assert.equal(escapeXml(`a <&> "b" 'c'`), "a &lt;&amp;&gt; &quot;b&quot; &apos;c&apos;");
});

Deno.test("num() keeps at most the given decimals and refuses non-finite numbers", () => {
  assert.deepEqual([num(12.3456), num(3), num(-0.001), num(2.5, 0), num(0.10000001, 3)], [
    "12.35",
    "3",
    "0",
    "3",
    "0.1",
  ]);
  assert.throws(() => num(NaN), /non-finite number NaN/);
  assert.throws(() => num(Infinity), RangeError);
});

Deno.test("el() escapes attributes, formats numbers and leaves out undefined/false", () => {
  assert.equal(
    el("rect", { x: 1.234, "data-series": `a"b<`, hidden: undefined, off: false }),
    `<rect x="1.23" data-series="a&quot;b&lt;"/>`,
  );
  assert.equal(el("g", {}, "<x/>"), "<g><x/></g>");
});

Deno.test("textWidth() grows with the text and ignores combining marks", () => {
  assert.ok(textWidth("WWW", 12) > textWidth("iii", 12));
  assert.equal(textWidth("x\u0302", 12), textWidth("x", 12));
  assert.ok(Math.abs(textWidth("0123456789", 10) - 63.6) < 1);
});

Deno.test("fitText() and wrapText() keep text inside a width", () => {
  const long = "a rather long legend entry that cannot fit";
  const cut = fitText(long, 100, 12);
  assert.ok(cut.endsWith("…") && textWidth(cut, 12) <= 100);
  assert.equal(fitText("short", 100, 12), "short");
  const lines = wrapText(long, 120, 12, 2);
  assert.equal(lines.length, 2);
  assert.ok(lines.every((l) => textWidth(l, 12) <= 120), lines.join(" | "));
  assert.ok(lines[1]!.endsWith("…"));
});

Deno.test("hashId() is deterministic and differs by content", () => {
  assert.equal(hashId("clip", "a"), hashId("clip", "a"));
  assert.notEqual(hashId("clip", "a"), hashId("clip", "b"));
  assert.match(hashId("clip", "a"), /^clip-[0-9a-z]+$/);
});

Deno.test("fitText() keeps the longest prefix that fits with the ellipsis, as cutting one character at a time does", () => {
  // the definition, one character at a time (quadratic; what fitText computes in one pass)
  const naive = (s: string, max: number, size: number, bold: boolean) => {
    if (textWidth(s, size, bold) <= max) return s;
    const chars = [...s];
    while (chars.length > 1 && textWidth(`${chars.join("")}…`, size, bold) > max) chars.pop();
    return `${chars.join("").trimEnd()}…`;
  };
  const alphabet = "abcWMil .,=x̂—é0123456789_/";
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 300; i++) {
    const s = Array.from(
      { length: 1 + Math.floor(next() * 60) },
      () => [...alphabet][Math.floor(next() * [...alphabet].length)]!,
    ).join("");
    const max = next() * 300 - 10;
    const bold = next() < 0.5;
    assert.equal(fitText(s, max, 11, bold), naive(s, max, 11, bold), JSON.stringify({ s, max }));
  }
});
