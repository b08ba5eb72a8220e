// Dashboard pages: Handlebars templates in ./views, compiled once; `{{...}}` escapes HTML, so lead
// data (names, subjects, feedback) can never inject markup.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Handlebars from 'handlebars';

const DIR = join(import.meta.dirname, 'views');
const hb = Handlebars.create();

const pad = (n: number) => String(n).padStart(2, '0');
hb.registerHelper('date', (v: unknown) => {
  if (v === null || v === undefined || v === '') return '';
  const d = v instanceof Date ? v : new Date(v as string | number);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
});
hb.registerHelper('num', (v: unknown) => (typeof v === 'number' ? String(Math.round(v * 10) / 10) : ''));
hb.registerHelper('isNumber', (v: unknown) => typeof v === 'number');

const files = readdirSync(DIR).filter((f) => f.endsWith('.hbs'));
hb.registerPartial('layout', readFileSync(join(DIR, 'layout.hbs'), 'utf8'));
const pages = new Map(
  files
    .filter((f) => f !== 'layout.hbs')
    .map((f) => [basename(f, '.hbs'), hb.compile(readFileSync(join(DIR, f), 'utf8'), { strict: false })]),
);

export type PageName = 'login' | 'overview' | 'leads' | 'lead' | 'sequences' | 'templates' | 'webhooks';

const NAV = [
  { page: 'overview', href: '/dashboard', label: 'Overview' },
  { page: 'leads', href: '/dashboard/leads', label: 'Leads' },
  { page: 'sequences', href: '/dashboard/sequences', label: 'Sequences' },
  { page: 'templates', href: '/dashboard/templates', label: 'Templates' },
  { page: 'webhooks', href: '/dashboard/webhooks', label: 'Webhooks' },
] as const;

export function renderPage(name: PageName, title: string, data: object): string {
  const template = pages.get(name);
  if (!template) throw new Error(`dashboard view '${name}' is missing`);
  const section = name === 'lead' ? 'leads' : name;
  const nav = name === 'login' ? undefined : NAV.map((n) => ({ ...n, current: n.page === section }));
  return template({ ...data, title, nav });
}
