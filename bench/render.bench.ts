// Email rendering: templates compiled once (MJML at load, Handlebars per send) against the naive
// approach of personalising the MJML source and calling mjml() for every send. Both render the same
// sends (all templates in turn, a different recipient each time, click tracking and open pixel on)
// and must produce identical emails.
import { Bench } from 'tinybench';
import {
  loadTemplates,
  type RenderOptions,
  type RenderVarsInput,
  renderWithMjmlEachTime,
  SAMPLE_VARS,
  type TemplateRegistry,
} from '../email/render.ts';

const FIRST_NAMES = ['Jane', 'Ravi', 'Zoë', 'Mateo', 'Aiko', 'Olu', 'Grace', 'Lukas'];

function send(n: number): RenderVarsInput {
  return {
    ...SAMPLE_VARS,
    lead: {
      ...SAMPLE_VARS.lead,
      firstName: FIRST_NAMES[n % FIRST_NAMES.length],
      company: `Company ${n % 97}`,
    },
    links: { ...SAMPLE_VARS.links, unsubscribe: `https://mail.acme.example/u/tok-${n}` },
  };
}

const options = (n: number): RenderOptions => ({
  rewriteLink: (href, i) => `https://t.acme.example/c/${n}-${i}?u=${encodeURIComponent(href)}`,
  openPixelUrl: `https://t.acme.example/o/${n}`,
});

async function assertSameOutput(registry: TemplateRegistry): Promise<void> {
  for (const [n, id] of registry.ids().entries()) {
    const fast = registry.render(id, send(n), options(n));
    const naive = await renderWithMjmlEachTime(registry, id, send(n), options(n));
    for (const part of ['subject', 'preheader', 'html', 'text'] as const) {
      if (fast[part] !== naive[part])
        throw new Error(`render bench: ${id} ${part} differs between compile-once and mjml-per-send`);
    }
  }
}

export default async function run(): Promise<void> {
  const loadStart = performance.now();
  const registry = await loadTemplates();
  const loadMs = performance.now() - loadStart;
  const ids = registry.ids();
  await assertSameOutput(registry);

  let a = 0;
  let b = 0;
  const bench = new Bench({ time: 2000, warmupTime: 300 });
  bench
    .add('compile once (mjml at load, Handlebars per send)', () => {
      const n = a++;
      registry.render(ids[n % ids.length] as string, send(n), options(n));
    })
    .add('mjml() per send (baseline)', async () => {
      const n = b++;
      await renderWithMjmlEachTime(registry, ids[n % ids.length] as string, send(n), options(n));
    });
  await bench.run();

  const perSecond = (i: number) => {
    const r = bench.tasks[i]?.result;
    if (!r || !('period' in r)) throw new Error(`render bench: task ${i} did not complete (${r?.state})`);
    return { rate: 1000 / r.period, rme: r.latency.rme };
  };
  const fast = perSecond(0);
  const naive = perSecond(1);
  console.log(`templates: ${ids.length}, load + compile: ${loadMs.toFixed(0)} ms; outputs identical: yes`);
  console.table([
    {
      approach: bench.tasks[0]?.name,
      'emails/s': Math.round(fast.rate),
      'ms/email': (1000 / fast.rate).toFixed(3),
      '±%': fast.rme.toFixed(1),
    },
    {
      approach: bench.tasks[1]?.name,
      'emails/s': Math.round(naive.rate),
      'ms/email': (1000 / naive.rate).toFixed(3),
      '±%': naive.rme.toFixed(1),
    },
  ]);
  console.log(`compile once is ${(fast.rate / naive.rate).toFixed(1)}x the throughput of mjml() per send`);
}
