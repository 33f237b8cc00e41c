// The breaking-change gate: Optic's `breaking-changes` ruleset and Inkwell's request bounds
// (optic-standard.yml), released baseline -> working spec.
// Optic waives its checks when info.version changes major (in either direction), so this script
// first makes sure the major never goes down, then lets Optic print every change, classified.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const HERE = fileURLToPath(new URL('..', import.meta.url));
// Arguments (for trying out a planted change): [baseline] [working].
const [BASELINE = 'baseline/openapi.yaml', WORKING = 'openapi.yaml'] = process.argv.slice(2);

function versionOf(file) {
  const version = String(parse(readFileSync(file, 'utf8')).info?.version ?? '');
  const match = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version);
  if (!match) {
    console.error(`${file}: info.version "${version}" is not semver.`);
    process.exit(1);
  }
  return { text: version, major: Number(match[1]) };
}

const released = versionOf(BASELINE);
const working = versionOf(WORKING);
if (working.major < released.major) {
  console.error(`info.version went from ${released.text} (released) down to ${working.text}.`);
  process.exit(1);
}
// Two different contracts never carry one version: once the working spec differs from the
// released one (anything but info.version itself), its version must too.
const contract = (file) => {
  const document = parse(readFileSync(file, 'utf8'));
  return JSON.stringify({ ...document, info: { ...document.info, version: undefined } });
};
if (working.text === released.text && contract(WORKING) !== contract(BASELINE)) {
  console.error(
    `${WORKING} differs from the released ${BASELINE} but both say version ${released.text}: ` +
      `bump info.version (minor for additions, major for breaking changes; this gate says ` +
      `which) and the client package's version with it (\`nox -s drift\` checks they match).`,
  );
  process.exit(1);
}
console.log(`Contract ${released.text} (released, ${BASELINE}) -> ${working.text} (working, ${WORKING})`);
if (working.major > released.major) {
  console.log('A new major version: breaking changes are allowed and listed without failing.');
}

// With CI set, Optic also writes ci-run-details.json into the working directory: the report on
// stdout is all this gate needs.
const { CI: _ci, ...opticEnvironment } = process.env;
// `loose`: Optic's bundled OpenAPI 3.1 schema rejects valid Link `requestBody` values; the spec's
// structure is already checked by Redocly and Spectral in `npm run lint`. Optic resolves the
// standard's local rulesets against its working directory, hence `cwd`.
const args = ['diff', resolve(BASELINE), resolve(WORKING), '--check', '--validation', 'loose'];
const optic = spawnSync(join(HERE, 'node_modules', '.bin', 'optic'), [...args, '--standard', 'optic-standard.yml'], {
  cwd: HERE,
  stdio: 'inherit',
  env: { ...opticEnvironment, OPTIC_TELEMETRY_LEVEL: 'off', NO_UPDATE_NOTIFIER: '1' },
});
if (optic.error) throw optic.error;
if (optic.status !== 0) {
  console.error(
    '\nBreaking change(s) above (lines marked x). Keep the old contract (add instead of change), ' +
      `or bump info.version to ${released.major + 1}.0.0 and tell the frontend team.`,
  );
}
process.exit(optic.status ?? 1);
