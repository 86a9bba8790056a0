// Extracts the runnable examples of a README: every fenced block whose info string is `ts`
// (or `typescript`). A block marked `ts no-run` is shown to readers but not executed, for
// snippets that need a GPU, network or files a test machine lacks.

/**
 * @param {string} markdown
 * @returns {{ index: number, line: number, code: string }[]}
 */
export function extractExamples(markdown) {
  const examples = [];
  const lines = markdown.split('\n');
  let open;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    const fence = /^(\s*)(```+|~~~+)\s*(.*)$/.exec(line);
    if (open === undefined) {
      if (fence === null) continue;
      const info = fence[3].trim().split(/\s+/);
      open = { fence: fence[2], info, start: i + 1, body: [] };
      continue;
    }
    if (fence !== null && fence[2].startsWith(open.fence) && fence[3].trim() === '') {
      const [language, ...flags] = open.info;
      if ((language === 'ts' || language === 'typescript') && !flags.includes('no-run')) {
        examples.push({ index: examples.length + 1, line: open.start, code: `${open.body.join('\n')}\n` });
      }
      open = undefined;
      continue;
    }
    open.body.push(line);
  }
  return examples;
}
