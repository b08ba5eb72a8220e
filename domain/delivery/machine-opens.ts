// Opens fetched by machines (privacy proxies, security scanners, prefetch) are recorded for audit
// but not scored: they say nothing about the person.
const MACHINE_AGENTS: [RegExp, string][] = [
  [/GoogleImageProxy/i, 'gmail_image_proxy'],
  [/YahooMailProxy/i, 'yahoo_proxy'],
  [
    /Barracuda|Proofpoint|Mimecast|MessageLabs|Symantec|Trend Micro|FireEye|Forcepoint|SpamTitan/i,
    'security_scanner',
  ],
  [
    /bot|crawler|spider|preview|prefetch|curl|wget|python-requests|Go-http-client|HeadlessChrome/i,
    'automated_agent',
  ],
];
/** Apple Mail Privacy Protection fetches with a bare WebKit agent and no Mail/Version token. */
const APPLE_MPP =
  /^Mozilla\/5\.0 \(Macintosh; Intel Mac OS X [\d_]+\) AppleWebKit\/[\d.]+ \(KHTML, like Gecko\)$/;
/** A human cannot open an email this soon after it was delivered; a scanner can. */
export const MIN_HUMAN_DELAY_MS = 10_000;

export function machineOpenReason(input: {
  userAgent?: string;
  sentAt?: number;
  at: number;
}): string | undefined {
  const ua = input.userAgent?.trim() ?? '';
  if (!ua) return 'no_user_agent';
  if (APPLE_MPP.test(ua)) return 'apple_privacy_proxy';
  for (const [pattern, reason] of MACHINE_AGENTS) if (pattern.test(ua)) return reason;
  if (input.sentAt !== undefined && input.at - input.sentAt < MIN_HUMAN_DELAY_MS)
    return 'too_soon_after_delivery';
  return undefined;
}
