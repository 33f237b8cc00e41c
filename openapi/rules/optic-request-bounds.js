// An Optic ruleset beside `breaking-changes`, which compares types and enums but not bounds: a
// request that accepts less than before (a lower maxLength or maximum, a higher minLength or
// minimum, a new bound) refuses what old clients send. Patterns and formats are left to the
// reviewer: whether a changed regex accepts less cannot be told. Loaded via optic-standard.yml.
import { OperationRule, PropertyRule, Ruleset, RuleError } from '@useoptic/rulesets-base';

// Bounds that narrow when they go down, and when they go up.
const UPPER = ['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties'];
const LOWER = ['minLength', 'minimum', 'exclusiveMinimum', 'minItems', 'minProperties'];

/** Phrases for every bound of `after` that accepts less than `before`. */
function narrowed(before = {}, after = {}) {
  const tighter = (keyword, isTighter) => {
    if (!(keyword in after)) return null;
    if (!(keyword in before)) return `${keyword} ${after[keyword]} added`;
    return isTighter(after[keyword], before[keyword]) ? `${keyword} ${before[keyword]} -> ${after[keyword]}` : null;
  };
  return [
    ...UPPER.map((k) => tighter(k, (now, was) => now < was)),
    ...LOWER.map((k) => tighter(k, (now, was) => now > was)),
  ].filter(Boolean);
}

const requestProperties = new PropertyRule({
  name: 'prevent narrowing request property bounds',
  rule: (property) => {
    property.changed((before, after) => {
      if (!('inRequest' in after.location.conceptualLocation)) return;
      const changes = narrowed(before.raw, after.raw);
      if (changes.length) {
        throw new RuleError({
          message: `request property '${after.value.key}' accepts less: ${changes.join(', ')}. This is a breaking change.`,
        });
      }
    });
  },
});

const parameters = new OperationRule({
  name: 'prevent narrowing parameter bounds',
  rule: (operation) => {
    for (const where of ['queryParameter', 'pathParameter', 'headerParameter', 'cookieParameter']) {
      operation[where].changed((before, after) => {
        const changes = narrowed(before.value.schema, after.value.schema);
        if (changes.length) {
          throw new RuleError({
            message: `parameter '${after.value.name}' accepts less: ${changes.join(', ')}. This is a breaking change.`,
          });
        }
      });
    }
  },
});

export const configSchema = { type: 'object' };

export function rulesetConstructor() {
  return new Ruleset({
    name: 'request bounds',
    // Like `breaking-changes`: a new major version may break.
    matches: (context) => context.specification.versionChange !== 'major',
    rules: [requestProperties, parameters],
  });
}
