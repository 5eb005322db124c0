import assert from "node:assert/strict";
import { join } from "node:path";
import {
  clearSourceHashMemo,
  importedSpecifiers,
  sourceHash,
  stripComments,
} from "../../src/core/sourceHash.ts";
import { toFileUrl } from "../../src/core/paths.ts";

Deno.test("stripComments() drops comments and whitespace but keeps literals", () => {
  const src =
    `// header\nconst a = "// not a comment"; /* block */ const b = 'x /* y */';\nconst re = /\\/\\/ kept/g; // tail\nconst t = \`a  b\`;`;
  const out = stripComments(src);
  assert.ok(!out.includes("header") && !out.includes("block") && !out.includes("tail"));
  assert.ok(out.includes('"// not a comment"'));
  assert.ok(out.includes("'x /* y */'"));
  assert.ok(out.includes("/\\/\\/ kept/g"));
  assert.ok(out.includes("`a  b`"));
  assert.equal(stripComments("const  x =\n\n  1;"), stripComments("const x = 1; // one"));
});

Deno.test("stripComments() keeps its exact output (cache keys depend on it): regex vs division, escapes", () => {
  // the expected text is what the character-by-character lexer of earlier versions produced
  const src =
    'const longIdentifierName = value / 2 / 3; // halves\nfunction f(s) {\n  return /a\\/b[/]c/gi.test(s) && typeof s === \'str\\\'ing\';\n}\nconst t = `tpl ${x}   kept`;  /* block\n comment */ const   y = "q\\"uote";\nlet z = areturn /2/ 1;\nconst w = "unterminated            ';
  assert.equal(
    stripComments(src),
    'const longIdentifierName=value/2/3;function f(s){return/a\\/b[/]c/gi.test(s)&&typeof s===\'str\\\'ing\';}const t=`tpl ${x}   kept`;const y="q\\"uote";let z=areturn/2/1;const w="unterminated            ',
  );
  // an unterminated regex keeps its newline and trailing blanks: the next `/` looks further back
  assert.equal(
    stripComments("return = /unterminated regex with spaces               \n/ 2 /x/"),
    "return=/unterminated regex with spaces               \n/2/x/",
  );
});

Deno.test("importedSpecifiers() finds static, type, re-export and dynamic imports", () => {
  const src =
    `import a from "./a.ts";\nimport type { B } from '../b.ts';\nexport { c } from "./c.ts";\nconst d = await import("./d.ts");\nimport "side-effect";\nimport * as v from "valibot";`;
  assert.deepEqual(importedSpecifiers(src), [
    "../b.ts",
    "./a.ts",
    "./c.ts",
    "./d.ts",
    "side-effect",
    "valibot",
  ]);
});

const project = async () => {
  const root = await Deno.makeTempDir({ prefix: "diffrun-src-" });
  await Deno.writeTextFile(
    join(root, "package.json"),
    JSON.stringify({ dependencies: { valibot: "1.5.0" } }),
  );
  await Deno.mkdir(join(root, "lib"));
  await Deno.writeTextFile(
    join(root, "stage.ts"),
    `import { helper } from "./lib/helper.ts";\nimport * as v from "valibot";\nexport const f = (x: number) => helper(x) + 1;\n`,
  );
  await Deno.writeTextFile(
    join(root, "lib/helper.ts"),
    `export const helper = (x: number) => x * 2;\n`,
  );
  await Deno.writeTextFile(join(root, "unrelated.ts"), `export const u = 1;\n`);
  return root;
};

const hashOf = (root: string) => {
  clearSourceHashMemo();
  return sourceHash(toFileUrl(join(root, "stage.ts")), root);
};

Deno.test("sourceHash() follows local imports and resolves packages through package.json", async () => {
  const root = await project();
  const h = hashOf(root);
  assert.deepEqual(h.files, ["lib/helper.ts", "stage.ts"]);
  assert.deepEqual(h.packages, ["npm:valibot@1.5.0"]);
});

Deno.test("sourceHash() changes when the stage's code or a local import changes", async () => {
  const root = await project();
  const h0 = hashOf(root).hash;
  await Deno.writeTextFile(
    join(root, "lib/helper.ts"),
    `export const helper = (x: number) => x * 3;\n`,
  );
  const h1 = hashOf(root).hash;
  assert.notEqual(h1, h0);
  await Deno.writeTextFile(
    join(root, "stage.ts"),
    `import { helper } from "./lib/helper.ts";\nimport * as v from "valibot";\nexport const f = (x: number) => helper(x) + 2;\n`,
  );
  assert.notEqual(hashOf(root).hash, h1);
});

Deno.test("sourceHash() ignores comments, re-indentation and unrelated files", async () => {
  const root = await project();
  const h0 = hashOf(root).hash;
  await Deno.writeTextFile(join(root, "unrelated.ts"), `export const u = 2;\n`);
  await Deno.writeTextFile(
    join(root, "lib/helper.ts"),
    `// doubles its input\nexport const helper = (x: number) =>\n    x * 2; /* why: tests */\n`,
  );
  assert.equal(hashOf(root).hash, h0);
});

Deno.test("sourceHash() changes when a package version in package.json changes", async () => {
  const root = await project();
  const h0 = hashOf(root).hash;
  await Deno.writeTextFile(
    join(root, "package.json"),
    JSON.stringify({ dependencies: { valibot: "1.6.0" } }),
  );
  assert.notEqual(hashOf(root).hash, h0);
});
