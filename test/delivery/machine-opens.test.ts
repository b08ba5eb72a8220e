// Which opens are machines (domain/delivery/machine-opens.ts): recorded, never scored.
import { describe, expect, it } from 'vitest';
import { MIN_HUMAN_DELAY_MS, machineOpenReason } from '../../domain/delivery/machine-opens.ts';

const SENT = Date.parse('2025-01-15T10:00:00Z');
const LATER = SENT + 5 * 60_000;
const HUMAN_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0',
  'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)',
];

describe('machineOpenReason', () => {
  it('lets ordinary mail clients and browsers count as people', () => {
    for (const userAgent of HUMAN_AGENTS)
      expect(machineOpenReason({ userAgent, sentAt: SENT, at: LATER }), userAgent).toBeUndefined();
  });

  it('recognises image proxies, privacy protection and scanners', () => {
    const cases: [string, string][] = [
      [
        'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)',
        'gmail_image_proxy',
      ],
      ['YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html', 'yahoo_proxy'],
      [
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)',
        'apple_privacy_proxy',
      ],
      ['Mozilla/5.0 (compatible; Barracuda Sentinel)', 'security_scanner'],
      ['Proofpoint URL Defense', 'security_scanner'],
      ['Mozilla/5.0 (compatible; Mimecast)', 'security_scanner'],
      ['curl/8.5.0', 'automated_agent'],
      ['python-requests/2.31.0', 'automated_agent'],
      ['Go-http-client/1.1', 'automated_agent'],
      [
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36',
        'automated_agent',
      ],
      ['Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', 'automated_agent'],
    ];
    for (const [userAgent, reason] of cases)
      expect(machineOpenReason({ userAgent, sentAt: SENT, at: LATER }), userAgent).toBe(reason);
  });

  it('treats a missing or blank user agent as a machine', () => {
    expect(machineOpenReason({ sentAt: SENT, at: LATER })).toBe('no_user_agent');
    expect(machineOpenReason({ userAgent: '   ', sentAt: SENT, at: LATER })).toBe('no_user_agent');
  });

  it('counts an open within 10 s of delivery as a machine (a scanner fetched it), not after', () => {
    const userAgent = HUMAN_AGENTS[0];
    expect(MIN_HUMAN_DELAY_MS).toBe(10_000);
    expect(machineOpenReason({ userAgent, sentAt: SENT, at: SENT + 2_000 })).toBe('too_soon_after_delivery');
    expect(machineOpenReason({ userAgent, sentAt: SENT, at: SENT + 9_999 })).toBe('too_soon_after_delivery');
    expect(machineOpenReason({ userAgent, sentAt: SENT, at: SENT + 10_000 })).toBeUndefined();
    // Unknown delivery time: only the agent decides.
    expect(machineOpenReason({ userAgent, at: SENT })).toBeUndefined();
  });

  it('names the agent before the timing when both apply', () => {
    expect(machineOpenReason({ userAgent: 'GoogleImageProxy', sentAt: SENT, at: SENT + 1 })).toBe(
      'gmail_image_proxy',
    );
  });
});
