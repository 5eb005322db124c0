/**
 * A minimal XML well-formedness check for the SVG the charts write (Deno has no DOMParser):
 * balanced, properly nested tags, one root, quoted attributes without duplicates or "<", and
 * only known entities. Throws an Error saying what is wrong and where.
 */

const NAME = /^[A-Za-z_][\w.:-]*/;
const ENTITY = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;

const checkEntities = (s: string, at: number) => {
  for (let i = s.indexOf("&"); i >= 0; i = s.indexOf("&", i + 1)) {
    if (!ENTITY.test(s.slice(i))) {
      throw new Error(`bad entity at ${at + i}: "${s.slice(i, i + 12)}"`);
    }
  }
};

export const checkWellFormed = (xml: string): void => {
  const stack: string[] = [];
  let roots = 0, i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const textEnd = lt < 0 ? xml.length : lt;
    const chunk = xml.slice(i, textEnd);
    checkEntities(chunk, i);
    if (stack.length === 0 && chunk.trim()) throw new Error(`text outside the root at ${i}`);
    if (lt < 0) break;
    if (xml.startsWith("<?", lt)) {
      const end = xml.indexOf("?>", lt);
      if (end < 0) throw new Error(`unclosed <? at ${lt}`);
      i = end + 2;
    } else if (xml.startsWith("<!--", lt)) {
      const end = xml.indexOf("-->", lt);
      if (end < 0) throw new Error(`unclosed comment at ${lt}`);
      i = end + 3;
    } else if (xml.startsWith("</", lt)) {
      const name = NAME.exec(xml.slice(lt + 2))?.[0];
      const end = xml.indexOf(">", lt);
      if (!name || end < 0 || xml.slice(lt + 2 + name.length, end).trim()) {
        throw new Error(`bad closing tag at ${lt}`);
      }
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> at ${lt} closes <${open ?? "nothing"}>`);
      i = end + 1;
    } else {
      const name = NAME.exec(xml.slice(lt + 1))?.[0];
      if (!name) throw new Error(`bad tag name at ${lt}`);
      if (stack.length === 0 && ++roots > 1) throw new Error(`a second root <${name}> at ${lt}`);
      let j = lt + 1 + name.length;
      const seen = new Set<string>();
      for (;;) {
        const ws = /^\s*/.exec(xml.slice(j))![0].length;
        j += ws;
        if (xml.startsWith("/>", j)) {
          j += 2;
          break;
        }
        if (xml[j] === ">") {
          stack.push(name);
          j += 1;
          break;
        }
        const attr = NAME.exec(xml.slice(j))?.[0];
        if (!attr || ws === 0) throw new Error(`bad attribute in <${name}> at ${j}`);
        if (seen.has(attr)) throw new Error(`duplicate attribute ${attr} in <${name}> at ${j}`);
        seen.add(attr);
        j += attr.length;
        const m = /^\s*=\s*(["'])/.exec(xml.slice(j));
        if (!m) throw new Error(`attribute ${attr} in <${name}> at ${j} has no quoted value`);
        j += m[0].length;
        const close = xml.indexOf(m[1]!, j);
        if (close < 0) throw new Error(`unterminated value of ${attr} at ${j}`);
        const value = xml.slice(j, close);
        if (value.includes("<")) throw new Error(`"<" in the value of ${attr} at ${j}`);
        checkEntities(value, j);
        j = close + 1;
      }
      i = j;
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack.join("> <")}>`);
  if (roots !== 1) throw new Error("no root element");
};
