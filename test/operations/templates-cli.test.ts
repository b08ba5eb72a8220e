// `npm run cli -- templates preview|list`: the marketer's look at a template without sending it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTemplates } from '../../email/render.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'lne-templates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'templates', ...args], { cwd: ROOT });

describe('templates from the command line', () => {
  it('previews a template with its sample data, text on stdout and HTML to a file', async () => {
    const expected = (await loadTemplates()).preview('webinar-invite');
    const html = join(dir, 'webinar.html');
    const { stdout } = await cli('preview', 'webinar-invite', '--html', html);
    expect(stdout).toContain(`Subject:   ${expected.subject}`);
    expect(stdout).toContain(expected.text.trim().split('\n')[0]);
    expect(readFileSync(html, 'utf8')).toBe(expected.html);
  });

  it('lists every template with its required variables, and refuses an unknown id naming the known ones', async () => {
    const { stdout } = await cli('list');
    const ids = (await loadTemplates()).ids();
    for (const id of ids) expect(stdout).toContain(`${id}\n  required:`);
    const err = await cli('preview', 'no-such-template').then(
      () => '',
      (e: { stderr: string; code: number }) => `${e.code}: ${e.stderr}`,
    );
    expect(err).toMatch(/^1: unknown template 'no-such-template' \(known: .*welcome/);
  });
});
