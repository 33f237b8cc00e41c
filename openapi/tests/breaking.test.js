// Proves the breaking-change gate (tools/breaking.js): plants one change at a time into a copy of
// the released baseline and checks that the gate fails on it and names it, or lets it pass.
// Run with `npm run breaking:selftest` (part of `nox -s breaking`).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';

const HERE = dirname(dirname(fileURLToPath(import.meta.url)));
const BASELINE = readFileSync(join(HERE, 'baseline', 'openapi.yaml'), 'utf8');
const workdir = mkdtempSync(join(tmpdir(), 'inkwell-breaking-'));
after(() => rmSync(workdir, { recursive: true, force: true }));

const unchanged = () => {};
const schemas = (spec) => spec.components.schemas;
const bio = { type: 'string', maxLength: 500 };
// Versions relative to the released baseline's, whatever it is.
const RELEASED = parse(BASELINE).info.version;
const [MAJOR, MINOR] = RELEASED.split('.').map(Number);
const NEXT_MAJOR = `${MAJOR + 1}.0.0`;
// A changed contract takes a new version; a minor one lets Optic judge whether the change is
// additive.
const minor = (spec) => {
  spec.info.version = `${MAJOR}.${MINOR + 1}.0`;
};

/** [name, change to the baseline copy, change to the working copy, passes?, expected text] */
const CASES = [
  ['removed operation', unchanged, (s) => {
    minor(s);
    delete s.paths['/api/v1/users/{user_id}'].get;
  }, false, 'GET /api/v1/users/{user_id}: removed'],
  ['removed response field', unchanged, (s) => {
    minor(s);
    delete schemas(s).User.properties.display_name;
    schemas(s).User.required = schemas(s).User.required.filter((f) => f !== 'display_name');
  }, false, "cannot remove response property 'display_name'"],
  ['new required request field', unchanged, (s) => {
    minor(s);
    schemas(s).ProfileUpdate.properties.bio = bio;
    schemas(s).ProfileUpdate.required = ['bio'];
  }, false, "cannot add a required request property 'bio'"],
  ['narrowed request enum', (s) => {
    schemas(s).TokenRequest.properties.grant_type.enum = ['password', 'refresh_token'];
  }, minor, false, "cannot remove enum option 'refresh_token' from 'grant_type'"],
  ['narrowed request type', unchanged, (s) => {
    minor(s);
    schemas(s).TokenRequest.properties.scope = { type: 'integer', minimum: 0, maximum: 9 };
  }, false, "request body property 'scope' not to be narrowed"],
  ['tightened request bound', unchanged, (s) => {
    minor(s);
    schemas(s).DisplayName.maxLength = 50;
  }, false, "request property 'display_name' accepts less: maxLength 100 -> 50"],
  ['loosened request bound', unchanged, (s) => {
    minor(s);
    schemas(s).DisplayName.maxLength = 200;
  }, true, 'Checks:'],
  ['added optional request field', unchanged, (s) => {
    minor(s);
    schemas(s).ProfileUpdate.properties.bio = bio;
  }, true, "property /schema/properties/bio: added"],
  ['added optional response field', unchanged, (s) => {
    minor(s);
    schemas(s).User.properties.bio = bio;
  }, true, "property /schema/properties/bio: added"],
  ['a changed contract at the released version', unchanged, (s) => {
    schemas(s).User.properties.bio = bio;
  }, false, 'bump info.version'],
  ['removal in a new major version', unchanged, (s) => {
    s.info.version = NEXT_MAJOR;
    delete s.paths['/api/v1/users/{user_id}'].get;
  }, true, 'A new major version'],
  ['major version going down', (s) => {
    s.info.version = NEXT_MAJOR;
  }, unchanged, false, `down to ${RELEASED}`],
];

function plant(name, change) {
  const spec = parse(BASELINE);
  change(spec);
  const file = join(workdir, `${name.replaceAll(' ', '-')}.yaml`);
  writeFileSync(file, stringify(spec));
  return file;
}

// Two at a time: each Optic run keeps a core busy for a few seconds.
describe('breaking-change gate', { concurrency: 2 }, () => {
  for (const [name, changeBaseline, changeWorking, passes, expected] of CASES) {
    test(`${name} ${passes ? 'passes' : 'fails'}`, async () => {
      const args = [plant(`${name}-baseline`, changeBaseline), plant(`${name}-working`, changeWorking)];
      const run = promisify(execFile)('node', [join(HERE, 'tools', 'breaking.js'), ...args], { cwd: HERE });
      const { code = 0, stdout, stderr } = await run.catch((failed) => failed);
      const output = stdout + stderr;
      assert.equal(code === 0, passes, output);
      assert.ok(output.includes(expected), `expected "${expected}" in:\n${output}`);
    });
  }
});
