import { OrgSlugField } from './field-rules.js';

/** `:org` path parameter; the name must stay `org`, which the auth guards compare with the key's org. */
export class OrgParamDto {
  @OrgSlugField()
  org: string;
}
