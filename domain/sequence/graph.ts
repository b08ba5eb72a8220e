// Renders a sequence as Mermaid flowchart text, for the README, the dashboard and code review.
import { formatDuration } from './duration.ts';
import { compile, END, type Instr } from './program.ts';
import type { Sequence } from './schema.ts';

const node = (pc: number) => (pc === END ? 'done' : `s${pc}`);
const quote = (text: string) => `"${text.replace(/"/g, "'")}"`;

function label(instr: Instr): string {
  const s = instr.step;
  switch (s.kind) {
    case 'send':
      return `send ${s.template}`;
    case 'wait':
      return `wait ${formatDuration(s.ms)}`;
    case 'waitFor':
      return `wait for ${s.match.types.join(' / ')} (≤ ${formatDuration(s.timeoutMs)})`;
    case 'branch':
      return `if ${s.if.kind}`;
    case 'split':
      return 'split';
    case 'handoff':
      return `handoff: ${s.reason}`;
    case 'recycle':
      return `recycle → ${s.to}${s.afterMs ? ` after ${formatDuration(s.afterMs)}` : ''}`;
    case 'tag':
      return `tag ${[...s.add.map((t) => `+${t}`), ...s.remove.map((t) => `-${t}`)].join(' ')}`;
    case 'setField':
      return `set ${s.field} = ${String(s.value)}`;
    case 'exit':
      return `exit: ${s.reason}`;
  }
}

export function graph(sequence: Sequence): string {
  const { instrs, entry } = compile(sequence);
  const lines = [
    'flowchart TD',
    `  start((${quote(`${sequence.id}@${sequence.version}`)})) --> ${node(entry)}`,
  ];
  instrs.forEach((instr, pc) => {
    lines.push(`  ${node(pc)}[${quote(label(instr))}]`);
    if ('onEvent' in instr) {
      lines.push(
        `  ${node(pc)} -->|event| ${node(instr.onEvent)}`,
        `  ${node(pc)} -->|timeout| ${node(instr.onTimeout)}`,
      );
    } else if ('then' in instr) {
      lines.push(`  ${node(pc)} -->|yes| ${node(instr.then)}`, `  ${node(pc)} -->|no| ${node(instr.else)}`);
    } else if ('variants' in instr) {
      for (const v of instr.variants) lines.push(`  ${node(pc)} -->|${v.name} ${v.weight}| ${node(v.pc)}`);
    } else if (!['exit', 'recycle', 'handoff'].includes(instr.step.kind)) {
      lines.push(`  ${node(pc)} --> ${node(instr.next)}`);
    }
  });
  const end = sequence.onComplete.recycleTo ? `end: nurture via ${sequence.onComplete.recycleTo}` : 'end';
  lines.push(`  done((${quote(end)}))`);
  return lines.join('\n');
}
