import { Global, Module } from '@nestjs/common';
import { OrgLeases } from './org-lease.js';

/** Services every feature module may use. */
@Global()
@Module({ providers: [OrgLeases], exports: [OrgLeases] })
export class CommonModule {}
