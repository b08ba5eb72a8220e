// The marketer's sequences, every version that may still have leads inside. Editing a sequence
// means adding a version: running journeys stay pinned to the version they enrolled in.
import type { Sequence } from '../domain/sequence/index.ts';
import { leadMagnetV1, leadMagnetV2 } from './lead-magnet.ts';
import { longCycleNurtureV1 } from './long-cycle-nurture.ts';
import { mqlAccelerationV1 } from './mql-acceleration.ts';
import { postRejectionV1 } from './post-rejection.ts';

export const SEQUENCES: readonly Sequence[] = [
  leadMagnetV1,
  leadMagnetV2,
  mqlAccelerationV1,
  longCycleNurtureV1,
  postRejectionV1,
];

/** Where new leads start, where silent ones go, where rejected ones go. */
export const DEFAULT_SEQUENCE = 'lead-magnet';
export const NURTURE_SEQUENCE = 'long-cycle-nurture';
export const REJECTION_SEQUENCE = 'post-rejection';

export class SequenceCatalog {
  private readonly byKey = new Map<string, Sequence>();
  private readonly latestVersion = new Map<string, number>();

  constructor(sequences: readonly Sequence[]) {
    for (const s of sequences) {
      const key = `${s.id}@${s.version}`;
      if (this.byKey.has(key)) throw new Error(`sequence ${key} is defined twice`);
      this.byKey.set(key, s);
      this.latestVersion.set(s.id, Math.max(this.latestVersion.get(s.id) ?? 0, s.version));
    }
  }

  ids(): string[] {
    return [...this.latestVersion.keys()];
  }

  latest(id: string): Sequence | undefined {
    const v = this.latestVersion.get(id);
    return v === undefined ? undefined : this.byKey.get(`${id}@${v}`);
  }

  get(id: string, version: number): Sequence | undefined {
    return this.byKey.get(`${id}@${version}`);
  }

  all(): Sequence[] {
    return [...this.byKey.values()];
  }
}

export const catalog = new SequenceCatalog(SEQUENCES);
