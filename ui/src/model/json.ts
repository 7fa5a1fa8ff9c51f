// Reading and writing workspace files so a save is byte-compatible with the CLI's files.
//
// The samples and the CLI write JSON with 2-space indents, keys in document order, non-ASCII
// characters as themselves and a final newline: exactly `JSON.stringify(doc, null, 2) + "\n"`.
// A file read with another layout (tabs, 4 spaces, minified, no final newline) is written back
// in its own layout. What JSON.parse cannot keep (number spellings like `10.50` or `1e3`, integers
// past 2^53, integer-like keys that JavaScript moves first) is reported at import, never silently.

import { JOURNEY_SCHEMA, WORKSPACE_SCHEMA, type Workspace } from './types';
import { isObject } from './nodeTypes';

export interface JsonFormat {
  indent: string | number;
  trailingNewline: boolean;
}

export const DEFAULT_FORMAT: JsonFormat = { indent: 2, trailingNewline: true };

export function serialize(doc: unknown, format: JsonFormat = DEFAULT_FORMAT): string {
  const text = JSON.stringify(doc, null, format.indent);
  return format.trailingNewline ? `${text}\n` : text;
}

export function detectFormat(text: string): JsonFormat {
  const trailingNewline = text.endsWith('\n');
  const m = /^\{\r?\n([ \t]+)\S/.exec(text);
  let indent: string | number = 2;
  if (!m) indent = /^\{\s*\}/.test(text) || !text.includes('\n') ? 0 : 2;
  else if (m[1] && /^ +$/.test(m[1])) indent = m[1].length;
  else if (m[1]) indent = m[1];
  return { indent, trailingNewline };
}

export type ImportIssue =
  | { kind: 'number'; lexeme: string; becomes: string }
  | { kind: 'layout' }
  | { kind: 'journey_file' };

/** Number lexemes (outside strings) whose JavaScript spelling differs. */
export function numberIssues(text: string): ImportIssue[] {
  const issues: ImportIssue[] = [];
  const re = /"(?:[^"\\]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const lex = m[0];
    if (lex.startsWith('"')) continue;
    const becomes = JSON.stringify(Number(lex));
    if (becomes !== lex) issues.push({ kind: 'number', lexeme: lex, becomes });
  }
  return issues;
}

export interface Imported {
  doc: Workspace;
  format: JsonFormat;
  issues: ImportIssue[];
}

export class ImportError extends Error {
  constructor(
    readonly code: 'E_NOT_JSON' | 'E_NOT_WORKSPACE',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parse a workspace file. A single-journey file (`trellis/journey@1`) is wrapped into a
 * workspace with no offers and the default policy, as journey.md says readers treat it. Other
 * objects are taken as they are: the validator, not the importer, says what is wrong with them.
 */
export function importText(text: string): Imported {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ImportError('E_NOT_JSON', e instanceof Error ? e.message : String(e));
  }
  if (!isObject(value)) throw new ImportError('E_NOT_WORKSPACE', 'the file is not a JSON object');
  const format = detectFormat(text);
  const issues = numberIssues(text);
  if (value.schema === JOURNEY_SCHEMA) {
    const doc: Workspace = { schema: WORKSPACE_SCHEMA, offers: [], policy: {}, journeys: [value as Workspace['journeys'][number]] };
    return { doc, format: DEFAULT_FORMAT, issues: [...issues, { kind: 'journey_file' }] };
  }
  const doc = value as Workspace;
  if (issues.length === 0 && serialize(doc, format) !== text) issues.push({ kind: 'layout' });
  return { doc, format, issues };
}

export function emptyWorkspace(): Workspace {
  return {
    schema: WORKSPACE_SCHEMA,
    offers: [],
    policy: { tz: 'Asia/Shanghai' },
    journeys: [
      {
        id: 'journey_1',
        name: '',
        nodes: [],
        edges: [],
      },
    ],
  };
}
