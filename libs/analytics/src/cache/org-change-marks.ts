/**
 * What makes a cost load in flight stale, per org: its invalidations (the generation, which a
 * frame carries so that results of an older one are not kept) and its forced period refreshes.
 * A load notes both when it starts (`mark`) and keeps what it loaded only if neither moved.
 */
export class OrgChangeMarks {
  private readonly generations = new Map<string, number>();
  private readonly refreshes = new Map<string, number>();

  generation(org: string): number {
    return this.generations.get(org) ?? 0;
  }

  invalidated(org: string): void {
    this.generations.set(org, this.generation(org) + 1);
  }

  refreshed(org: string): void {
    this.refreshes.set(org, (this.refreshes.get(org) ?? 0) + 1);
  }

  /** `generation`: when what the load is for was read, if earlier (see FramePeriod.generation). */
  mark(org: string, generation = this.generation(org)): { generation: number; refreshes: number } {
    return { generation, refreshes: this.refreshes.get(org) ?? 0 };
  }

  /** Whether the org was invalidated since `mark` was taken. */
  invalidatedSince(org: string, mark: { generation: number }): boolean {
    return mark.generation !== this.generation(org);
  }

  /** Whether one of the org's periods was refreshed since `mark` was taken. */
  refreshedSince(org: string, mark: { refreshes: number }): boolean {
    return mark.refreshes !== (this.refreshes.get(org) ?? 0);
  }
}
