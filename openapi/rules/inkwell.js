// Inkwell's contract rules that Redocly's configurable rules cannot express. Each rule reports
// at the offending node, so Redocly prints file:line:column for every finding.

import { isPair, isSeq, parseDocument, visit } from 'yaml';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
// Strings whose format already bounds their length: a maxLength would only repeat it.
const BOUNDED_FORMATS = new Set(['uuid', 'date-time', 'date']);
const PAGE_LIMIT = { minimum: 1, maximum: 100, default: 20 };

const isRef = (node) => node !== null && typeof node === 'object' && typeof node.$ref === 'string';

/** The node behind a $ref (or the node itself) with the location to report on. */
function deref(node, location, resolve) {
  if (!isRef(node)) return { node, location };
  const target = resolve(node, location.source.absoluteRef);
  return target.node === undefined ? { node: undefined, location } : target;
}

const types = (schema) => (Array.isArray(schema.type) ? schema.type : [schema.type]);

/** Strings need maxLength, numbers min and max, arrays maxItems: the database stores them all. */
function BoundedSchemas() {
  return {
    Schema(schema, { location, report }) {
      if (location.pointer.endsWith('/not') || 'enum' in schema || 'const' in schema) return;
      const kinds = types(schema);
      if (kinds.includes('string') && !('maxLength' in schema) && !BOUNDED_FORMATS.has(schema.format)) {
        report({
          message: `String schema needs \`maxLength\` (exempt: enum, const, format ${[...BOUNDED_FORMATS].join('/')}).`,
          location: location.key(),
        });
      }
      if (kinds.includes('integer') || kinds.includes('number')) {
        const hasMin = 'minimum' in schema || 'exclusiveMinimum' in schema;
        const hasMax = 'maximum' in schema || 'exclusiveMaximum' in schema;
        if (!hasMin || !hasMax) {
          report({ message: 'Number schema needs both a minimum and a maximum.', location: location.key() });
        }
      }
      if (kinds.includes('array') && !('maxItems' in schema)) {
        report({ message: 'Array schema needs `maxItems`.', location: location.key() });
      }
    },
  };
}

/** 4xx/5xx answers reuse a shared components/responses entry whose only body is problem+json. */
function ProblemDetailsErrors() {
  return {
    Operation(operation, { location, resolve, report }) {
      for (const [status, raw] of Object.entries(operation.responses ?? {})) {
        if (!/^[45]/.test(status)) continue;
        const here = location.child(['responses', status]);
        if (!isRef(raw) || !raw.$ref.includes('#/components/responses/')) {
          report({ message: `${status} must reuse a response from components/responses.`, location: here.key() });
        }
        const { node: response, location: at } = deref(raw, here, resolve);
        const mediaTypes = Object.keys(response?.content ?? {});
        if (mediaTypes.length !== 1 || mediaTypes[0] !== 'application/problem+json') {
          report({
            message: `${status} must answer application/problem+json only (RFC 9457), not [${mediaTypes.join(', ')}].`,
            location: (response?.content ? at.child('content') : at).key(),
          });
        }
      }
    },
  };
}

/** A GET whose 200 body has an `items` array is a list: cursor pagination is mandatory. */
function PaginatedLists() {
  return {
    PathItem(pathItem, { location, resolve, report }) {
      for (const method of METHODS.filter((m) => m === 'get' && pathItem[m])) {
        const opLocation = location.child([method]);
        const page = pageSchema(pathItem[method], opLocation, resolve);
        if (!page) continue;
        const params = [
          ...(pathItem.parameters ?? []).map((p, i) => deref(p, location.child(['parameters', i]), resolve)),
          ...(pathItem[method].parameters ?? []).map((p, i) =>
            deref(p, opLocation.child(['parameters', i]), resolve),
          ),
        ].filter(({ node }) => node?.in === 'query');
        const param = (name) => params.find(({ node }) => node.name === name);
        const limit = param('limit');
        if (!limit) {
          report({ message: 'A list operation needs a `limit` query parameter.', location: opLocation.key() });
        } else {
          const { node: schema } = deref(limit.node.schema ?? {}, limit.location.child('schema'), resolve);
          const wrong = Object.entries(PAGE_LIMIT).filter(([k, v]) => schema?.[k] !== v);
          if (schema?.type !== 'integer' || wrong.length) {
            report({
              message: '`limit` must be an integer with minimum 1, maximum 100, default 20.',
              location: limit.location.key(),
            });
          }
        }
        if (!param('cursor')) {
          report({ message: 'A list operation needs a `cursor` query parameter.', location: opLocation.key() });
        }
        if (!page.node.properties?.next_cursor) {
          report({
            message: 'A page is `{items, next_cursor}`: `next_cursor` is missing.',
            location: page.location.child('properties').key(),
          });
        }
      }
    },
  };
}

/** The 200 JSON schema of a list operation, or undefined when the operation is no list. */
function pageSchema(operation, opLocation, resolve) {
  const okLocation = opLocation.child(['responses', '200']);
  const { node: ok, location } = deref(operation.responses?.['200'], okLocation, resolve);
  const json = ok?.content?.['application/json'];
  if (!json?.schema) return undefined;
  const page = deref(json.schema, location.child(['content', 'application/json', 'schema']), resolve);
  const items = page.node?.properties?.items;
  if (!items) return undefined;
  const { node: itemsSchema } = deref(items, page.location.child(['properties', 'items']), resolve);
  return types(itemsSchema ?? {}).includes('array') ? page : undefined;
}

/** Links feed Schemathesis' stateful tests: each must name a real operation and its parameters. */
function LinkTargets() {
  const operations = new Map();
  const links = [];
  return {
    PathItem(pathItem, { location, resolve }) {
      for (const method of METHODS.filter((m) => pathItem[m]?.operationId)) {
        const operation = pathItem[method];
        const params = [
          ...(pathItem.parameters ?? []).map((p) => deref(p, location, resolve).node),
          ...(operation.parameters ?? []).map((p) => deref(p, location, resolve).node),
        ];
        operations.set(operation.operationId, {
          params: new Set(params.map((p) => p?.name)),
          hasBody: Boolean(operation.requestBody),
        });
      }
    },
    Link(link, { location }) {
      links.push({ link, location });
    },
    Root: {
      leave(_root, { report }) {
        for (const { link, location } of links.filter(({ link }) => link.operationId)) {
          const target = operations.get(link.operationId);
          if (!target) {
            report({ message: `Link target \`${link.operationId}\` is not an operationId.`, location: location.child('operationId') });
            continue;
          }
          // A link may qualify a name with its location: `path.user_id`.
          for (const name of Object.keys(link.parameters ?? {})) {
            if (!target.params.has(name.replace(/^(path|query|header|cookie)\./, ''))) {
              report({
                message: `\`${link.operationId}\` has no parameter \`${name}\`.`,
                location: location.child(['parameters', name]).key(),
              });
            }
          }
          if (link.requestBody !== undefined && !target.hasBody) {
            report({ message: `\`${link.operationId}\` takes no request body.`, location: location.child('requestBody').key() });
          }
        }
      },
    },
  };
}

/** Deprecated operations date it (app/http/deprecation.py turns the dates into headers). */
function DeprecationDates() {
  const RFC3339 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$/;
  // YAML may already have turned an unquoted date into a Date.
  const instant = (value) => (value instanceof Date ? value : RFC3339.test(String(value)) ? new Date(value) : null);
  return {
    Operation(operation, { location, report }) {
      if (!operation.deprecated) return;
      const since = instant(operation['x-deprecated-at']);
      if (!since) {
        const where = 'x-deprecated-at' in operation ? location.child('x-deprecated-at') : location.child('deprecated');
        report({ message: 'A deprecated operation needs `x-deprecated-at`: an RFC 3339 date or date-time.', location: where });
      }
      if (!('x-sunset' in operation)) return;
      const sunset = instant(operation['x-sunset']);
      if (!sunset || (since && sunset <= since)) {
        report({ message: '`x-sunset` must be an RFC 3339 date or date-time after `x-deprecated-at`.', location: location.child('x-sunset') });
      }
    },
  };
}

/**
 * The server loads the spec with PyYAML (YAML 1.1), which turns an unquoted `2026-12-01` into a
 * date that JSON cannot encode: /openapi.json would answer 500. Redocly reads YAML 1.2, where it
 * is a string, so this rule looks at the source text itself.
 */
function QuotedTimestamps() {
  const YAML11_TIMESTAMP = /^\d{4}-\d{1,2}-\d{1,2}(?:$|[Tt]|[ \t]+\d)/;
  return {
    Root(_root, { location, report }) {
      visit(parseDocument(location.source.body), {
        Scalar(key, node, ancestors) {
          if (key === 'key' || node.type !== 'PLAIN' || !YAML11_TIMESTAMP.test(String(node.source))) return;
          report({ message: `Quote \`${node.source}\`: PyYAML would read it as a date.`, location: location.child(pathOf(ancestors, node)) });
        },
      });
    },
  };
}

/** The JSON-pointer segments of a node, from the ancestors `yaml`'s visit() hands over. */
function pathOf(ancestors, node) {
  const chain = [...ancestors, node];
  return chain.slice(0, -1).flatMap((parent, i) => {
    if (isPair(parent)) return [String(parent.key.value)];
    if (isSeq(parent)) return [parent.items.indexOf(chain[i + 1])];
    return [];
  });
}

export default function inkwellPlugin() {
  return {
    id: 'inkwell',
    rules: {
      oas3: {
        'bounded-schemas': BoundedSchemas,
        'problem-details-errors': ProblemDetailsErrors,
        'paginated-lists': PaginatedLists,
        'link-targets': LinkTargets,
        'deprecation-dates': DeprecationDates,
        'quoted-timestamps': QuotedTimestamps,
      },
    },
  };
}
