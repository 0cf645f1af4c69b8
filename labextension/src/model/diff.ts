/**
 * The per-block unified diff that the agent records (`mlestar_lab/notebook/diff.py`: one
 * `--- a/<block>` / `+++ b/<block>` section per changed block) turned back into the two sides
 * a side-by-side view shows. Only the hunks are known, so the lines between hunks are
 * represented by one marker line on both sides.
 */
export interface BlockSides {
  block: string;
  before: string;
  after: string;
}

export const GAP_MARKER = '⋯';

export function blockSides(diff: string): BlockSides[] {
  const blocks: BlockSides[] = [];
  let before: string[] = [];
  let after: string[] = [];
  let name: string | null = null;
  let inHunk = false;
  const flush = () => {
    if (name !== null) {
      blocks.push({ block: name, before: before.join('\n'), after: after.join('\n') });
    }
  };
  const lines = diff.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ')) {
      flush();
      name = blockName(lines[i + 1].slice(4)) || blockName(line.slice(4));
      before = [];
      after = [];
      inHunk = false;
      i += 1;
    } else if (line.startsWith('@@')) {
      const start = /^@@ -(\d+)/.exec(line);
      const skipped = start !== null && Number(start[1]) > 1;
      if ((inHunk || skipped) && name !== null) {
        before.push(GAP_MARKER);
        after.push(GAP_MARKER);
      }
      inHunk = true;
    } else if (inHunk && line.startsWith('-')) {
      before.push(line.slice(1));
    } else if (inHunk && line.startsWith('+')) {
      after.push(line.slice(1));
    } else if (inHunk && line.startsWith(' ')) {
      before.push(line.slice(1));
      after.push(line.slice(1));
    }
  }
  flush();
  return blocks;
}

function blockName(path: string): string {
  const trimmed = path.trim();
  if (trimmed === '/dev/null') {
    return '';
  }
  return trimmed.replace(/^[ab]\//, '');
}
