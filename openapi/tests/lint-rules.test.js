// Proves each house lint rule fires, and points at the right line: plants violations into a
// temporary copy of openapi.yaml, lints it once, and looks for each finding (rule + line).
// Run with `npm run lint:selftest` (part of `npm run lint`).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, Scalar } from 'yaml';

const HERE = dirname(dirname(fileURLToPath(import.meta.url)));
const P = '/api/v1/selftest';
// `yaml` writes date-like strings unquoted; these stay quoted, as the house rule wants.
const quoted = (text) => Object.assign(new Scalar(text), { type: 'QUOTE_SINGLE' });

const ok = {
  description: 'OK.',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/HealthStatus' }, example: { status: 'ok' } } },
};
/** A valid operation that each planting then breaks in exactly one way. */
const operation = (id, extra = {}) => ({
  operationId: id,
  tags: ['health'],
  summary: `Selftest ${id}`,
  description: 'Planted by the lint self-test.',
  security: [],
  responses: { 200: ok, 400: { $ref: '#/components/responses/BadRequest' } },
  ...extra,
});
const pageOf = (extraProperties) => ({
  description: 'A page.',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: { items: { type: 'array', maxItems: 100, items: { $ref: '#/components/schemas/HealthStatus' } }, ...extraProperties },
      },
      example: { items: [] },
    },
  },
});
const queryParam = (name, schema) => ({ name, in: 'query', description: name, schema });
const goodLimit = queryParam('limit', { type: 'integer', minimum: 1, maximum: 100, default: 20 });
const cursor = queryParam('cursor', { type: 'string', maxLength: 500 });

/** [where to plant, what to plant] */
const PLANTS = [
  [['paths', `${P}/snake`], { get: operation('selftest_snake') }],
  [['paths', `${P}/two-tags`], { get: operation('selftestTwoTags', { tags: ['health', 'users'] }) }],
  [['paths', `${P}/no-tag`], { get: operation('selftestNoTag', { tags: undefined }) }],
  [['paths', `${P}/no-security`], { get: operation('selftestNoSecurity', { security: undefined }) }],
  [['paths', `${P}/no-example`], {
    post: operation('selftestNoExample', {
      requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/HealthStatus' } } } },
    }),
  }],
  [['paths', `${P}/plain-error`], {
    get: operation('selftestPlainError', {
      responses: { 200: ok, 404: { description: 'Gone.', content: { 'application/json': { schema: { type: 'object' }, example: {} } } } },
    }),
  }],
  [['paths', `${P}/bare-list`], { get: operation('selftestBareList', { responses: { 200: pageOf({}) } }) }],
  [['paths', `${P}/loose-limit`], {
    get: operation('selftestLooseLimit', {
      parameters: [queryParam('limit', { type: 'integer', minimum: 1, maximum: 1000 }), cursor],
      responses: { 200: pageOf({ next_cursor: { type: 'string', maxLength: 500 } }) },
    }),
  }],
  [['paths', `${P}/good-list`], {
    parameters: [goodLimit],
    get: operation('selftestGoodList', {
      parameters: [cursor],
      responses: { 200: pageOf({ next_cursor: { type: 'string', maxLength: 500 } }) },
    }),
  }],
  [['paths', `${P}/links`], {
    get: operation('selftestLinks', {
      responses: {
        200: {
          ...ok,
          links: {
            Ghost: { operationId: 'noSuchOperation' },
            WrongParameter: { operationId: 'getUser', parameters: { userId: '$response.body#/id' } },
            NoTarget: { description: 'Names no operation at all.' },
          },
        },
      },
    }),
  }],
  [['paths', `${P}/undated`], { get: operation('selftestUndated', { deprecated: true }) }],
  [['paths', `${P}/early-sunset`], {
    get: operation('selftestEarlySunset', {
      deprecated: true,
      'x-deprecated-at': quoted('2026-06-01'),
      'x-sunset': quoted('2026-01-01'),
    }),
  }],
  [['paths', `${P}/dated`], {
    get: operation('selftestDated', {
      deprecated: true,
      'x-deprecated-at': quoted('2026-06-01'),
      'x-sunset': quoted('2026-12-01T00:00:00Z'),
    }),
  }],
  [['paths', `${P}/unquoted`], {
    get: operation('selftestUnquoted', { deprecated: true, 'x-deprecated-at': '2026-06-01' }),
  }],
  [['components', 'schemas', 'SelftestBounds'], {
    type: 'object',
    properties: {
      text: { type: 'string' },
      count: { type: 'integer', minimum: 0 },
      list: { type: 'array', items: { type: 'string', enum: ['a'] } },
      nullableText: { type: ['string', 'null'] },
      bounded: { type: 'string', maxLength: 10 },
      id: { type: 'string', format: 'uuid' },
      at: { type: 'string', format: 'date-time' },
      kind: { type: 'string', enum: ['a', 'b'] },
      rate: { type: 'number', minimum: 0, maximum: 1 },
    },
  }],
];

const LINKS = ['paths', `${P}/links`, 'get', 'responses', '200', 'links'];
/** [rule, path whose line the finding must be on]; Spectral's rules are prefixed `spectral:`. */
const EXPECTED = [
  ['rule/operation-id-camel-case', ['paths', `${P}/snake`, 'get', 'operationId']],
  ['rule/operation-exactly-one-tag', ['paths', `${P}/two-tags`, 'get', 'tags', 0]],
  ['operation-singular-tag', ['paths', `${P}/two-tags`, 'get', 'tags']],
  ['rule/operation-exactly-one-tag', ['paths', `${P}/no-tag`, 'get', 'operationId']],
  ['security-defined', ['paths', `${P}/no-security`, 'get']],
  ['rule/body-has-example', ['paths', `${P}/no-example`, 'post', 'requestBody', 'content', 'application/json']],
  ['inkwell/problem-details-errors', ['paths', `${P}/plain-error`, 'get', 'responses', '404']],
  ['inkwell/problem-details-errors', ['paths', `${P}/plain-error`, 'get', 'responses', '404', 'content']],
  ['inkwell/paginated-lists', ['paths', `${P}/bare-list`, 'get']],
  ['inkwell/paginated-lists', ['paths', `${P}/bare-list`, 'get', 'responses', '200', 'content', 'application/json', 'schema', 'properties']],
  ['inkwell/paginated-lists', ['paths', `${P}/loose-limit`, 'get', 'parameters', 0]],
  ['inkwell/link-targets', [...LINKS, 'Ghost', 'operationId']],
  ['inkwell/link-targets', [...LINKS, 'WrongParameter', 'parameters', 'userId']],
  ['spectral:oas3-schema', [...LINKS, 'NoTarget']],
  ['inkwell/deprecation-dates', ['paths', `${P}/undated`, 'get', 'deprecated']],
  ['inkwell/deprecation-dates', ['paths', `${P}/early-sunset`, 'get', 'x-sunset']],
  ['inkwell/quoted-timestamps', ['paths', `${P}/unquoted`, 'get', 'x-deprecated-at']],
  ['inkwell/bounded-schemas', ['components', 'schemas', 'SelftestBounds', 'properties', 'text']],
  ['inkwell/bounded-schemas', ['components', 'schemas', 'SelftestBounds', 'properties', 'count']],
  ['inkwell/bounded-schemas', ['components', 'schemas', 'SelftestBounds', 'properties', 'list']],
  ['inkwell/bounded-schemas', ['components', 'schemas', 'SelftestBounds', 'properties', 'nullableText']],
];

/** Paths where a house rule must stay silent. */
const SILENT = [
  ['paths', `${P}/good-list`],
  ['paths', `${P}/dated`],
  ...['bounded', 'id', 'at', 'kind', 'rate'].map((p) => ['components', 'schemas', 'SelftestBounds', 'properties', p]),
];

let workdir;
let lines;
let findings;

/** The lines a node spans: [line of its key, last line of its value]. */
function span(doc, counter, path) {
  let pair;
  let node = doc.contents;
  for (const segment of path) {
    pair = node.items.find((item) => (item.key?.value ?? item.key) == segment) ?? { key: node.items[segment], value: node.items[segment] };
    node = pair.value;
  }
  const start = counter.linePos(pair.key.range[0]).line;
  const end = counter.linePos(pair.value.range[1] - 1).line;
  return [start, end];
}

/** Run a linter that exits non-zero on findings (the point here) and return its stdout. */
function run(command, args) {
  try {
    return execFileSync(command, args, {
      cwd: workdir,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (failed) {
    return failed.stdout;
  }
}

function redoclyFindings() {
  const output = run('redocly', ['lint', 'openapi.yaml', '--config', join(HERE, 'redocly.yaml'), '--format=github-actions']);
  return [...output.matchAll(/^::\w+ title=([^,]+),file=([^,]+),line=(\d+)/gm)].map(([, rule, file, line]) => ({
    rule,
    file,
    line: Number(line),
  }));
}

function spectralFindings() {
  const output = run('spectral', ['lint', 'openapi.yaml', '--ruleset', join(HERE, '.spectral.yaml'), '--format=text']);
  return [...output.matchAll(/^(.+):(\d+):\d+ \w+ (\S+) /gm)].map(([, file, line, rule]) => ({
    rule: `spectral:${rule}`,
    file: file.slice(workdir.length + 1),
    line: Number(line),
  }));
}

before(() => {
  workdir = mkdtempSync(join(tmpdir(), 'inkwell-lint-'));
  const doc = parseDocument(readFileSync(join(HERE, 'openapi.yaml'), 'utf8'));
  doc.delete('security');
  for (const [path, value] of PLANTS) doc.setIn(path, doc.createNode(value));
  const planted = String(doc);
  writeFileSync(join(workdir, 'openapi.yaml'), planted);
  const counter = new LineCounter();
  lines = { doc: parseDocument(planted, { lineCounter: counter }), counter };

  findings = [...redoclyFindings(), ...spectralFindings()];
});

after(() => rmSync(workdir, { recursive: true, force: true }));

for (const [rule, path] of EXPECTED) {
  test(`${rule} fires at ${path.slice(-3).join(' > ')}`, () => {
    const [line] = span(lines.doc, lines.counter, path);
    const hit = findings.find((f) => f.rule === rule && f.line === line);
    assert.ok(hit, `expected ${rule} on line ${line}; got:\n${findings.map((f) => `${f.line} ${f.rule}`).join('\n')}`);
    assert.equal(hit.file, 'openapi.yaml');
  });
}

for (const path of SILENT) {
  test(`house rules stay silent at ${path.slice(-2).join(' > ')}`, () => {
    const [start, end] = span(lines.doc, lines.counter, path);
    const noise = findings.filter((f) => f.rule.startsWith('inkwell/') && f.line >= start && f.line <= end);
    assert.deepEqual(noise, []);
  });
}
