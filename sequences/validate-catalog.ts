// Validates every sequence version against the templates on disk: run by the CLI, the worker at
// start and the tests, so a typo in a template id never reaches a lead.
import { assertValidSequences } from '../domain/sequence/index.ts';
import { loadTemplates } from '../email/render.ts';
import { catalog } from './index.ts';

export async function validateCatalog(templateIds?: ReadonlySet<string>): Promise<number> {
  const ids = templateIds ?? new Set((await loadTemplates()).ids());
  const all = catalog.all();
  assertValidSequences(all, ids);
  return all.length;
}
