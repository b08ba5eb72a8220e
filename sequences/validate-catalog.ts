// Validates every sequence version against the templates on disk: run by the CLI, the worker at
// start and the tests, so a typo in a template id never reaches a lead.
import { assertValidSequences } from '../domain/sequence/index.ts';
import { loadTemplates } from '../email/render.ts';
import { catalog } from './index.ts';

export function validateCatalog(templateIds: ReadonlySet<string> = new Set(loadTemplates().ids())): number {
  const all = catalog.all();
  assertValidSequences(all, templateIds);
  return all.length;
}
