import { Injectable } from '@nestjs/common';
import { type DefaultHierarchy, entityRows, levelRows, loadDefaultHierarchy } from './default-hierarchy.js';
import { HierarchySeedRepository } from './hierarchy-seed.repository.js';

export interface HierarchySeeded {
  levels: number;
  entities: number;
}

/** Seeds an org's default hierarchy (configs/seeds) into the central hierarchy tables. */
@Injectable()
export class HierarchySeedService {
  private readonly seed: DefaultHierarchy = loadDefaultHierarchy();

  constructor(private readonly repository: HierarchySeedRepository) {}

  /** Idempotent: levels and entities the org already has are left as they are. */
  async seedDefaults(org: string, now: Date): Promise<HierarchySeeded> {
    return this.seedMissing(org, now, await this.existing(org));
  }

  /**
   * The defaults for an org that has no hierarchy at all (an onboarding cut off before its last
   * step); an org with levels or entities of its own is left as it is, deletions included.
   */
  async seedIfEmpty(org: string, now: Date): Promise<HierarchySeeded> {
    const have = await this.existing(org);
    if (have.levels.size || have.entities.size) return { levels: 0, entities: 0 };
    return this.seedMissing(org, now, have);
  }

  private async existing(org: string): Promise<{ levels: Set<string>; entities: Set<string> }> {
    const [levels, entities] = await Promise.all([
      this.repository.existingLevelCodes(org),
      this.repository.existingEntityIds(org),
    ]);
    return { levels, entities };
  }

  private async seedMissing(
    org: string,
    now: Date,
    { levels: haveLevels, entities: haveEntities }: { levels: Set<string>; entities: Set<string> },
  ): Promise<HierarchySeeded> {
    const levels = levelRows(this.seed, org, now).filter((r) => !haveLevels.has(String(r.level_code)));
    const entities = entityRows(this.seed, org, now).filter((r) => !haveEntities.has(String(r.entity_id)));
    await this.repository.insertLevels(levels);
    await this.repository.insertEntities(entities);
    return { levels: levels.length, entities: entities.length };
  }

  removeAll(org: string): Promise<void> {
    return this.repository.deleteForOrg(org);
  }
}
