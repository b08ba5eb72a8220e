/** Every string and decoded payload in a workflow history (its payloads are bytes), as one text. */
export function historyText(history: unknown): string {
  const out: string[] = [];
  const stack: unknown[] = [history];
  while (stack.length) {
    const v = stack.pop();
    if (v instanceof Uint8Array) out.push(Buffer.from(v).toString('utf8'));
    else if (typeof v === 'string') out.push(v);
    else if (v && typeof v === 'object') stack.push(...Object.values(v));
  }
  return out.join('\n');
}
