import { describe, expect, it } from 'vitest';
import { redactEmails } from '../../security/redact.ts';

describe('redactEmails', () => {
  it('removes every address and keeps the rest of the message', () => {
    expect(
      redactEmails(
        "Can't send mail - recipient <Ada.Lovelace+x@analytical.co.uk> rejected; also bob@corp.test",
      ),
    ).toBe("Can't send mail - recipient <[email]> rejected; also [email]");
    expect(redactEmails('451 4.7.1 greylisted, try again later')).toBe(
      '451 4.7.1 greylisted, try again later',
    );
  });
});
