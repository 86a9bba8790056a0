/**
 * A small reader of the SVG that Vega writes, so tests (and the report's own checks) can see
 * what a chart contains: which marks, how many shapes, which legend labels. Vega's SVG is
 * well-formed XML with one element per tag and no CDATA, which is all this parser handles.
 */
export interface SvgElement {
  readonly tag: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: SvgElement[];
  text: string;
}

const TOKEN = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<\/([\w:-]+)\s*>|<([\w:-]+)((?:\s+[\w:-]+\s*=\s*"[^"]*")*)\s*(\/?)>|([^<]+)/g;
const ATTRIBUTE = /([\w:-]+)\s*=\s*"([^"]*)"/g;

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCodePoint(parseInt(code, 16)))
    .replace(/&amp;/g, '&');
}

/** Parses SVG text into an element tree; throws on unbalanced tags. */
export function parseSvg(svg: string): SvgElement {
  const root: SvgElement = { tag: '#document', attributes: {}, children: [], text: '' };
  const stack: SvgElement[] = [root];
  for (const match of svg.matchAll(TOKEN)) {
    const [whole, closing, opening, attributeText, selfClosing, text] = match;
    const top = stack[stack.length - 1] as SvgElement;
    if (closing !== undefined) {
      if (top.tag !== closing) throw new Error(`unbalanced SVG: </${closing}> closes <${top.tag}>`);
      stack.pop();
    } else if (opening !== undefined) {
      const attributes: Record<string, string> = {};
      for (const [, name, value] of (attributeText ?? '').matchAll(ATTRIBUTE)) attributes[name as string] = decodeEntities(value ?? '');
      const element: SvgElement = { tag: opening, attributes, children: [], text: '' };
      top.children.push(element);
      if (selfClosing !== '/') stack.push(element);
    } else if (text !== undefined) {
      top.text += decodeEntities(text);
    } else if (!whole.startsWith('<!--') && !whole.startsWith('<?')) {
      throw new Error(`unexpected SVG token ${whole.slice(0, 40)}`);
    }
  }
  if (stack.length !== 1) throw new Error(`unbalanced SVG: <${(stack[stack.length - 1] as SvgElement).tag}> never closed`);
  const svgRoot = root.children.find((c) => c.tag === 'svg');
  if (svgRoot === undefined) throw new Error('no <svg> element');
  return svgRoot;
}

/** Every element below `element` (depth first, itself included) that satisfies `test`. */
export function findAll(element: SvgElement, test: (e: SvgElement) => boolean): SvgElement[] {
  const out: SvgElement[] = [];
  const visit = (e: SvgElement): void => {
    if (test(e)) out.push(e);
    e.children.forEach(visit);
  };
  visit(element);
  return out;
}

function hasClass(e: SvgElement, name: string): boolean {
  return (e.attributes.class ?? '').split(/\s+/).includes(name);
}

/**
 * The drawn shapes of the data marks of one type (`line`, `area`, `rule`, `symbol`, `rect`,
 * `text`), excluding axes and legends: one `<path>` per line series, one per bar, and so on.
 */
export function dataMarkShapes(svg: SvgElement, markType: string): SvgElement[] {
  const groups = findAll(svg, (e) => e.tag === 'g' && hasClass(e, `mark-${markType}`) && hasClass(e, 'role-mark'));
  return groups.flatMap((g) => g.children.filter((c) => c.tag !== 'g' && (c.attributes.d ?? 'x') !== '' && c.attributes.display !== 'none'));
}

/** The labels of every legend, in order. */
export function legendLabels(svg: SvgElement): string[] {
  const groups = findAll(svg, (e) => e.tag === 'g' && hasClass(e, 'role-legend-label'));
  return groups.flatMap((g) => g.children.filter((c) => c.tag === 'text').map((t) => t.text));
}

/** Every text drawn anywhere in the chart (titles, subtitles, labels). */
export function allTexts(svg: SvgElement): string[] {
  return findAll(svg, (e) => e.tag === 'text').map((t) => t.text);
}
